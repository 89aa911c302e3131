// Shared parts of the reliability scripts: a local SQS server, the backend
// plugin as a real process (its dev entry point) that can be SIGKILLed and
// restarted, and direct database reads to check what was stored.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import {
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import knexFactory from 'knex';

export const repoRoot = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
);
const pluginDir = join(repoRoot, 'plugins', 'deployment-quality-backend');
/** V8's old-space cap for the backends started here: 75 % of a 512 MiB pod. */
export const POD_HEAP_MIB = 384;
const nodeTransform = createRequire(join(pluginDir, 'package.json')).resolve(
  '@backstage/cli-node/config/nodeTransform.cjs',
);

process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

export const log = (...args) =>
  console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...args);
export const sleep = ms => new Promise(r => setTimeout(r, ms));

export async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

export async function startSqs({ visibility }) {
  const child = spawn(
    process.execPath,
    [
      '--no-warnings',
      join(repoRoot, 'scripts/sqs/local-sqs.mjs'),
      '--port',
      '0',
      '--visibility',
      String(visibility),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise((ok, fail) => {
    createInterface({ input: child.stdout }).once('line', ok);
    child.once('exit', code => fail(new Error(`local SQS exited ${code}`)));
  });
  const info = JSON.parse(line);
  const client = new SQSClient({
    region: 'us-east-1',
    endpoint: info.endpoint,
  });
  const depth = async url => {
    const { Attributes = {} } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
        ],
      }),
    );
    return Object.values(Attributes).reduce((n, v) => n + Number(v), 0);
  };
  return {
    ...info,
    depth,
    async send(bodies) {
      const inFlight = [];
      for (let i = 0; i < bodies.length; i += 10) {
        inFlight.push(
          client.send(
            new SendMessageBatchCommand({
              QueueUrl: info.queueUrl,
              Entries: bodies
                .slice(i, i + 10)
                .map((MessageBody, n) => ({ Id: String(n), MessageBody })),
            }),
          ),
        );
        if (inFlight.length >= 16) await Promise.all(inFlight.splice(0));
      }
      await Promise.all(inFlight);
    },
    async stop() {
      client.destroy();
      child.kill('SIGTERM');
    },
  };
}

/** 50k-style deterministic events: deployments (final states) and test results. */
export function makeEvents(n, runId) {
  const events = [];
  // 30 days ago at midnight: 50k events span 17 days, inside any retention
  // window whatever today is.
  const base =
    Math.floor(Date.now() / 86_400_000) * 86_400_000 - 30 * 86_400_000;
  for (let i = 0; i < n; i++) {
    const attempt = Math.floor(i / 2);
    const service = `svc-${attempt % 50}`;
    const cluster = `cluster-${attempt % 6}`;
    const startedAt = new Date(base + attempt * 60_000).toISOString();
    const attemptId = `${cluster}:${service}:1.0.${attempt}:${attempt}`;
    events.push(
      i % 2 === 0
        ? {
            eventId: `${runId}-${i}`,
            eventType: 'deployment',
            source: 'reliability',
            receivedAt: new Date().toISOString(),
            payload: {
              clusterId: cluster,
              serviceId: service,
              buildVersion: `1.0.${attempt}`,
              gitSha: 'abcdef1',
              status: attempt % 7 === 0 ? 'FAILED' : 'SUCCESS',
              startedAt,
              endedAt: new Date(base + attempt * 60_000 + 30_000).toISOString(),
              trigger: 'merge',
              runNumber: attempt,
            },
          }
        : {
            eventId: `${runId}-${i}`,
            eventType: 'test-result',
            source: 'reliability',
            receivedAt: new Date().toISOString(),
            payload: {
              attemptId,
              suiteType: 'FUNCTIONAL',
              total: 100,
              passed: 100 - (attempt % 3),
              failed: attempt % 3,
              skipped: 0,
              durationSec: 12.5,
              executedAt: new Date(
                base + attempt * 60_000 + 40_000,
              ).toISOString(),
            },
          },
    );
  }
  return events;
}

/**
 * Database settings for a fresh plugin database: SQLite files in a temp
 * directory, or a new PostgreSQL database (by prefix) on the given server.
 */
export function databaseFor(kind, runId) {
  if (kind === 'sqlite') {
    const directory = mkdtempSync(join(tmpdir(), 'dq-reliability-'));
    return {
      config: { client: 'better-sqlite3', connection: { directory } },
      async drop() {
        rmSync(directory, { recursive: true, force: true });
      },
      knex: () =>
        knexFactory({
          client: 'better-sqlite3',
          connection: {
            filename: join(directory, 'deployment-quality.sqlite'),
          },
          useNullAsDefault: true,
        }),
    };
  }
  const connection =
    process.env.DQ_RELIABILITY_PG ??
    'postgresql://postgres:postgres@127.0.0.1:5432';
  const prefix = `dq_${runId.replace(/[^a-z0-9]/g, '_')}_`;
  return {
    config: { client: 'pg', connection, prefix },
    knex: () =>
      knexFactory({
        client: 'pg',
        connection: `${connection}/${prefix}deployment-quality`,
        pool: { min: 0, max: 2 },
      }),
    async drop() {
      const admin = knexFactory({
        client: 'pg',
        connection,
        pool: { min: 0, max: 1 },
      });
      await admin.raw(
        `drop database if exists "${prefix}deployment-quality" with (force)`,
      );
      await admin.destroy();
    },
  };
}

/**
 * A knex on a fresh database of `databaseFor` with the plugin's schema in
 * place (PostgreSQL's database created first), before any backend starts.
 */
export async function migratedDatabase(database) {
  if (database.config.client === 'pg') {
    const admin = knexFactory({
      client: 'pg',
      connection: database.config.connection,
      pool: { min: 0, max: 1 },
    });
    await admin.raw(
      `create database "${database.config.prefix}deployment-quality"`,
    );
    await admin.destroy();
  }
  const knex = database.knex();
  await knex.migrate.latest({
    directory: join(repoRoot, 'plugins/deployment-quality-backend/migrations'),
  });
  return knex;
}

/**
 * A static external-access token the backends accept, for Backstage-authenticated
 * read routes such as `GET /status` (service credentials).
 */
export const READ_TOKEN = 'reliability-read-token-0123456789';

/** `GET /api/deployment-quality/status` of a backend: `{ status, body }`. */
export async function getStatus(port) {
  const res = await fetch(
    `http://127.0.0.1:${port}/api/deployment-quality/status`,
    {
      headers: { authorization: `Bearer ${READ_TOKEN}` },
      signal: AbortSignal.timeout(10_000),
    },
  );
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

// Every backend process group started and not yet killed, for killBackends.
const started = new Set();

/** SIGKILLs every backend this process started, even ones still starting. */
export function killBackends() {
  for (const kill of started) kill();
}

/**
 * Starts the backend plugin (dev entry point) in its own process group.
 * `retention`, when given, is `deploymentQuality.retention`. Without `sqs`
 * it runs in embedded mode (the webhook writes to the database itself).
 */
export async function startBackend({
  port,
  database,
  sqs,
  visibility,
  consumers = 4,
  retention,
  catalogFile,
  // Stack traces through the TypeScript sources, for the reliability
  // tests' logs. The benchmark turns them off, as a pod runs the backend
  // (`node packages/backend`): with them Node parses the source map of
  // every module it loads and keeps them in the heap.
  sourceMaps = true,
}) {
  const configDir = mkdtempSync(join(tmpdir(), 'dq-config-'));
  const configFile = join(configDir, 'app-config.yaml');
  const removeConfig = () =>
    rmSync(configDir, { recursive: true, force: true });
  writeFileSync(
    configFile,
    JSON.stringify({
      backend: {
        baseUrl: `http://127.0.0.1:${port}`,
        listen: { port, host: '127.0.0.1' },
        database: database.config,
        auth: {
          externalAccess: [
            {
              type: 'static',
              options: { token: READ_TOKEN, subject: 'reliability' },
            },
          ],
        },
      },
      deploymentQuality: {
        ...(retention ? { retention } : {}),
        ingestion: {
          webhook: {
            keys: [
              { name: 'reliability', secret: 'reliability-secret-0123456789' },
            ],
          },
          ...(sqs && {
            sqs: {
              queueUrl: sqs.queueUrl,
              endpoint: sqs.endpoint,
              region: 'us-east-1',
              waitTimeSeconds: 2,
              visibilityTimeoutSeconds: visibility,
              consumers,
            },
          }),
        },
      },
    }),
  );
  // The dev entry under the CLI's TypeScript loader, as `backstage-cli
  // package start` runs it but without its file watcher: that one outlives a
  // backend that failed to start, which then looks like a slow start.
  const child = spawn(
    process.execPath,
    [
      // As a 512 MiB pod runs it (README, "Operations"): a V8 heap cap
      // below the limit, so the collector works before the kernel kills.
      `--max-old-space-size=${POD_HEAP_MIB}`,
      ...(sourceMaps ? ['--enable-source-maps'] : []),
      '--require',
      nodeTransform,
      join(pluginDir, 'dev/index.ts'),
      '--config',
      configFile,
    ],
    {
      cwd: pluginDir,
      detached: true,
      // Backstage logs to stdout: kept with stderr, so a failed start says why.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_ENV: process.env.NODE_ENV ?? 'development',
        LOG_LEVEL: 'warn',
        DQ_EVENT_LOOP_REPORT: '1',
        ...(catalogFile ? { DQ_DEV_CATALOG: catalogFile } : {}),
      },
    },
  );
  const killGroup = signal => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const killNow = () => {
    killGroup('SIGKILL');
    removeConfig();
  };
  started.add(killNow);
  child.once('exit', () => {
    started.delete(killNow);
    removeConfig();
  });
  let output = '';
  let loopReport;
  const keep = d => {
    output = (output + d).slice(-4000);
    const line = String(d).match(/DQ_EVENT_LOOP (\{.*\})/);
    if (line) loopReport?.(JSON.parse(line[1]));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  await until(
    async () => {
      if (child.exitCode !== null)
        throw new Error(`backend exited ${child.exitCode}: ${output}`);
      try {
        return (
          await fetch(`http://127.0.0.1:${port}/.backstage/health/v1/readiness`)
        ).ok;
      } catch {
        return false;
      }
    },
    120_000,
    'backend readiness',
  ).catch(error => {
    // Never leave a half-started backend behind.
    killNow();
    throw new Error(`${error.message}; backend output: ${output || '(none)'}`);
  });
  return {
    child,
    alive: () => child.exitCode === null && child.signalCode === null,
    /**
     * The event loop's delay since the last call (ms: p50, p99, max), as
     * the backend measures it (dev/index.ts).
     */
    eventLoop() {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('no event-loop report within 10 s')),
          10_000,
        );
        loopReport = report => {
          clearTimeout(timer);
          loopReport = undefined;
          resolve(report);
        };
        process.kill(child.pid, 'SIGUSR2');
      });
    },
    kill(signal = 'SIGKILL') {
      killGroup(signal);
      if (signal === 'SIGKILL') removeConfig();
    },
    async stop() {
      this.kill('SIGTERM');
      await until(
        async () => child.exitCode !== null || child.signalCode !== null,
        30_000,
        'backend exit',
      );
    },
  };
}

/** Checks that exactly the given events are stored, once each, with their content. */
export async function verifyStored(knex, events) {
  const problems = [];
  const ids = (await knex('dq_ingested_events').select('event_id')).map(
    r => r.event_id,
  );
  const unique = new Set(ids);
  if (ids.length !== unique.size)
    problems.push(`${ids.length - unique.size} event ids stored twice`);
  const missing = events.filter(e => !unique.has(e.eventId));
  if (missing.length)
    problems.push(
      `${missing.length} events missing, e.g. ${missing[0].eventId}`,
    );
  if (unique.size !== events.length)
    problems.push(`${unique.size} events stored, ${events.length} sent`);

  const deployments = events.filter(e => e.eventType === 'deployment');
  const attempts = new Map(
    (await knex('dq_attempts').select('id', 'status', 'ended_at')).map(r => [
      r.id,
      r,
    ]),
  );
  if (attempts.size !== deployments.length)
    problems.push(`${attempts.size} attempts, expected ${deployments.length}`);
  for (const d of deployments) {
    const p = d.payload;
    const row = attempts.get(
      `${p.clusterId}:${p.serviceId}:${p.buildVersion}:${p.runNumber}`,
    );
    if (
      !row ||
      row.status !== p.status ||
      Number(row.ended_at) !== Date.parse(p.endedAt)
    ) {
      problems.push(`attempt of ${d.eventId} wrong: ${JSON.stringify(row)}`);
      break;
    }
  }
  const runs = await knex('dq_test_runs').select(
    'event_id',
    'attempt_id',
    'passed',
  );
  const tests = events.filter(e => e.eventType === 'test-result');
  if (runs.length !== tests.length)
    problems.push(`${runs.length} test runs, expected ${tests.length}`);
  const byEvent = new Map(runs.map(r => [r.event_id, r]));
  for (const t of tests) {
    const row = byEvent.get(t.eventId);
    if (
      !row ||
      row.attempt_id !== t.payload.attemptId ||
      row.passed !== t.payload.passed
    ) {
      problems.push(`test run of ${t.eventId} wrong: ${JSON.stringify(row)}`);
      break;
    }
  }
  problems.push(...(await verifyRollups(knex)));
  return problems;
}

/**
 * The daily rollups the plugin keeps after ingest, against the same figures
 * grouped here from the rows: writers racing on one pair must not lose a
 * count. The running backends refresh the keys writes queued within a
 * moment of the last write; a queue that doesn't drain is a failure.
 */
async function verifyRollups(knex) {
  const rowsOf = async sql => {
    const result = await knex.raw(sql);
    return result.rows ?? result;
  };
  const queued = async () =>
    Number((await rowsOf('select count(*) as n from dq_rollup_dirty'))[0].n);
  const drainedBy = Date.now() + 15_000;
  while ((await queued()) > 0 && Date.now() < drainedBy) {
    await new Promise(r => setTimeout(r, 100));
  }
  const left = await queued();
  if (left > 0) return [`${left} rollup keys still queued after 15 s`];
  const text = rows =>
    rows.map(r => Object.values(r).map(String).join(' ')).join('\n');
  const day = t => `cast(${t} / 86400000 as integer)`;
  const checks = [
    [
      'attempts by start day',
      `select ${day(
        'started_at',
      )} as day, cluster_id, service_id, status, count(*) as n
         from dq_attempts group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
      `select day, cluster_id, service_id, status, n from dq_attempt_days
         where kind = 's' order by 1, 2, 3, 4`,
    ],
    [
      'attempts by end day',
      `select ${day(
        'ended_at',
      )} as day, cluster_id, service_id, status, count(*) as n,
              sum(ended_at - coalesce(commit_at, started_at)) as lead
         from dq_attempts where ended_at is not null and status <> 'IN_PROGRESS'
         group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
      `select day, cluster_id, service_id, status, n, lead_sum from dq_attempt_days
         where kind = 'e' order by 1, 2, 3, 4`,
    ],
    [
      'test runs by day',
      `select ${day('executed_at')} as day, coalesce(cluster_id, '') as c,
              coalesce(service_id, '') as s, suite_type, sum(passed) as p, sum(total) as t
         from dq_test_runs group by 1, 2, 3, 4 order by 1, 2, 3, 4`,
      `select day, cluster_id, service_id, suite_type, passed, total
         from dq_test_days order by 1, 2, 3, 4`,
    ],
    [
      'attempt totals',
      `select cluster_id, service_id, status, count(*) as n
         from dq_attempts group by 1, 2, 3 order by 1, 2, 3`,
      `select cluster_id, service_id, status, n
         from dq_attempt_totals order by 1, 2, 3`,
    ],
  ];
  const problems = [];
  for (const [what, fromRows, kept] of checks) {
    const [want, have] = [await rowsOf(fromRows), await rowsOf(kept)];
    if (want.length === 0) problems.push(`no ${what} to compare`);
    if (text(want) !== text(have))
      problems.push(
        `rollup of ${what} differs from the rows (${have.length} rows kept, ${want.length} expected)`,
      );
  }
  return problems;
}

export async function countStored(knex) {
  try {
    return Number((await knex('dq_ingested_events').count({ n: '*' }))[0].n);
  } catch {
    return 0; // not migrated yet, or the database is down
  }
}
