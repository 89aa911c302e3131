#!/usr/bin/env node
// Two replicas: two backend processes on one PostgreSQL database and one
// queue (with its DLQ), both consuming it, with retention on a short
// schedule and old history seeded for it to delete. Events go in three
// ways: part through replica A's webhook, part through replica B's, part
// straight to SQS, with deliberate duplicates across the two webhooks (and
// from SQS to a webhook). Afterwards every event must be stored exactly once
// with its content, the DLQ must be empty, the old history gone, and over a
// measured interval the global retention task must have run once per period
// across both replicas: about interval / period runs, never two close
// together. Needs PostgreSQL (the scheduler's lock lives in the shared
// database).
//
//   node scripts/reliability/two-replicas-test.mjs [--events 5000]
//        [--period 2] [--interval 30] [--ports 7109,7110]
import {
  countStored,
  databaseFor,
  getStatus,
  killBackends,
  log,
  makeEvents,
  migratedDatabase,
  sleep,
  startBackend,
  startSqs,
  until,
  verifyStored,
} from './harness.mjs';
import { cliArgs } from '../lib/args.mjs';

const args = cliArgs();
const total = Number(args.events ?? 5000);
const periodSeconds = Number(args.period ?? 2);
const intervalSeconds = Number(args.interval ?? 30);
const [portA, portB] = (args.ports ?? '7109,7110').split(',').map(Number);
// The whole run, backends' start included, fails past this.
const timeLimitSeconds = Number(args['time-limit'] ?? 90);
const visibility = 30;
const periodMs = periodSeconds * 1000;
const runId = `replicas-${Date.now()}`;
const DAY_MS = 86_400_000;
const WEBHOOK_SECRET = 'reliability-secret-0123456789';

/**
 * Rows about a time well outside the 90-day window, for retention to delete.
 * The attempts never finished: retention keeps what a pair runs (its latest
 * finished attempt), which Retention.test.ts covers; here every old row goes.
 */
async function seedOld(knex, tag, n) {
  const at = Date.now() - 200 * DAY_MS;
  const rows = i => `old-${runId}-${tag}-${i}`;
  const attempts = Array.from({ length: n }, (_, i) => ({
    id: rows(i),
    cluster_id: 'cluster-old',
    service_id: `svc-old-${tag}-${i % 10}`,
    build_version: `0.0.${i}`,
    git_sha: 'abcdef1',
    started_at: at + i,
    ended_at: null,
    status: 'IN_PROGRESS',
    trigger: 'merge',
    source: 'seed',
  }));
  const pairs = Array.from({ length: 10 }, (_, k) => ({
    cluster_id: 'cluster-old',
    service_id: `svc-old-${tag}-${k}`,
    first_seen_at: at,
  }));
  const testRuns = attempts.map((a, i) => ({
    event_id: `${a.id}-t`,
    attempt_id: a.id,
    cluster_id: a.cluster_id,
    service_id: a.service_id,
    build_version: a.build_version,
    suite_type: 'FUNCTIONAL',
    total: 10,
    passed: 10,
    failed: 0,
    skipped: 0,
    duration_sec: 1,
    executed_at: at + i + 2000,
  }));
  const promotions = attempts.slice(0, n / 5).map((a, i) => ({
    promotion_id: `${a.id}-p`,
    service_id: a.service_id,
    build_version: a.build_version,
    from_cluster_id: 'cluster-old',
    to_cluster_id: 'cluster-old-prod',
    promoted_by: 'seed',
    promoted_at: at + i + 3000,
  }));
  const rejected = attempts.slice(0, n / 5).map((a, i) => ({
    received_at: at + i,
    transport: 'webhook',
    source: 'seed',
    reason: 'invalid-event',
    problems: '[]',
  }));
  const ingested = [...attempts, ...testRuns].map((r, i) => ({
    event_id: r.event_id ?? r.id,
    event_type: r.event_id ? 'test-result' : 'deployment',
    source: 'seed',
    received_at: at + i,
    stored_at: at + i,
    payload: '{}',
  }));
  await knex.transaction(async tx => {
    for (const [table, list] of [
      ['dq_attempts', attempts],
      ['dq_service_clusters', pairs],
      ['dq_test_runs', testRuns],
      ['dq_promotions', promotions],
      ['dq_rejected_events', rejected],
      ['dq_ingested_events', ingested],
    ])
      await tx.batchInsert(table, list, 500);
  });
  return {
    attempts: attempts.length,
    testRuns: testRuns.length,
    promotions: promotions.length,
    rejectedEvents: rejected.length,
    ingestedEvents: ingested.length,
    servicePairs: pairs.length,
  };
}

/** Posts events to a replica's webhook in batches; all must be accepted. */
async function postAll(port, events, { batch = 250, concurrency = 3 } = {}) {
  const bodies = [];
  for (let i = 0; i < events.length; i += batch) {
    bodies.push(
      JSON.stringify({
        events: events
          .slice(i, i + batch)
          .map(({ eventId, eventType, source, payload }) => ({
            eventId,
            eventType,
            source,
            payload,
          })),
      }),
    );
  }
  const post = async body => {
    const res = await fetch(
      `http://127.0.0.1:${port}/api/deployment-quality/ingest/webhook`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-webhook-secret': WEBHOOK_SECRET,
        },
        body,
      },
    );
    const answer = await res.json().catch(() => undefined);
    const results = answer?.results ?? [];
    if (res.status !== 202 || results.some(r => r.status !== 'queued'))
      throw new Error(
        `webhook on ${port} answered ${res.status}: ${JSON.stringify(
          answer,
        ).slice(0, 300)}`,
      );
  };
  for (let i = 0; i < bodies.length; i += concurrency)
    await Promise.all(bodies.slice(i, i + concurrency).map(post));
}

function withApplicationName(connection, name) {
  const url = new URL(connection);
  url.searchParams.set('application_name', name);
  return url.toString();
}

const sum = (runs, key) => runs.reduce((n, r) => n + (r.deleted[key] ?? 0), 0);

const sqs = await startSqs({ visibility });
const database = databaseFor('pg', runId);
const backends = [];
let knex;
let failed = false;
const t0 = Date.now();
let deadlineTimer;
try {
  await Promise.race([
    new Promise((_, reject) => {
      deadlineTimer = setTimeout(
        () => reject(new Error(`not done within ${timeLimitSeconds} s`)),
        timeLimitSeconds * 1000,
      );
    }),
    (async () => {
      // The schema first, so old history is there before either replica
      // (and the retention task) starts.
      knex = await migratedDatabase(database);
      const seeded = [await seedOld(knex, 'a', 500)];
      // Test-only column: which replica's connection recorded each run.
      await knex.raw(
        `alter table dq_retention_runs add column ran_by text default current_setting('application_name')`,
      );

      const retention = {
        schedule: {
          frequency: { seconds: periodSeconds },
          timeout: { seconds: 30 },
        },
      };
      const started = Date.now();
      // One after the other, as a rolling deploy starts them: Backstage's
      // scheduler creates its own tables at first start with an unguarded
      // knex migration, which two processes racing on an empty database
      // can fail.
      for (const port of [portA, portB])
        backends.push(
          await startBackend({
            port,
            // The same server, database and prefix (so the same scheduler
            // tables); only the connections' application_name differs.
            database: {
              ...database,
              config: {
                ...database.config,
                connection: withApplicationName(
                  database.config.connection,
                  `replica-${port}`,
                ),
              },
            },
            sqs,
            visibility,
            consumers: 2,
            retention,
          }),
        );
      log(
        `two replicas up on ${portA} and ${portB} in ${
          Date.now() - started
        } ms`,
      );

      // The measured interval starts once both replicas are up.
      const from = Date.now();
      const to = from + intervalSeconds * 1000;

      const events = makeEvents(total, runId);
      const viaA = events.filter((_, i) => i % 5 < 2);
      const viaB = events.filter((_, i) => i % 5 >= 2 && i % 5 < 4);
      const viaSqs = events.filter((_, i) => i % 5 === 4);
      // Duplicates: a tenth of each webhook's share also through the other
      // one, and a tenth of the SQS share also through webhook B.
      const dupsToB = viaA.filter((_, i) => i % 10 === 0);
      const dupsToA = viaB.filter((_, i) => i % 10 === 0);
      const sqsDupsToB = viaSqs.filter((_, i) => i % 10 === 0);
      const duplicates = dupsToA.length + dupsToB.length + sqsDupsToB.length;
      log(
        `sending ${total} events: ${viaA.length} via ${portA}, ${viaB.length} via ${portB}, ${viaSqs.length} to SQS, ${duplicates} duplicates`,
      );
      // More old history halfway, for a later run to delete.
      const seededLater = sleep((intervalSeconds * 1000) / 2).then(async () =>
        seeded.push(await seedOld(knex, 'b', 500)),
      );
      await Promise.all([
        postAll(portA, [...viaA, ...dupsToA]),
        postAll(portB, [...viaB, ...dupsToB, ...sqsDupsToB]),
        sqs.send(viaSqs.map(e => JSON.stringify(e))),
      ]);
      let seen = {};
      await until(
        async () => {
          seen = {
            queue: await sqs.depth(sqs.queueUrl),
            dlq: await sqs.depth(sqs.dlqUrl),
            stored: await countStored(knex),
          };
          return seen.queue === 0 && seen.stored >= total;
        },
        // Leaves time for the checks before the time limit.
        Math.max(t0 + (timeLimitSeconds - 10) * 1000 - Date.now(), 0),
        'the queue to drain',
      ).catch(error => {
        throw new Error(`${error.message}: ${JSON.stringify(seen)}`);
      });
      const drainedAfter = Date.now() - from;
      await seededLater;
      await sleep(Math.max(to - Date.now(), 0));

      const problems = await verifyStored(knex, events);
      const dlq = await sqs.depth(sqs.dlqUrl);
      if (dlq > 0) problems.push(`${dlq} messages in the DLQ`);

      // Retention: once per period across both replicas.
      const runs = (await knex('dq_retention_runs').orderBy('started_at')).map(
        r => ({
          startedAt: Number(r.started_at),
          deleted: JSON.parse(r.deleted),
          by: r.ran_by,
        }),
      );
      const inInterval = runs.filter(
        r => r.startedAt >= from && r.startedAt < to,
      );
      const expected = (to - from) / periodMs;
      const gaps = inInterval
        .slice(1)
        .map((r, i) => r.startedAt - inInterval[i].startedAt);
      const minGap = gaps.length ? Math.min(...gaps) : Infinity;
      // A run starts at the first poll (every period, per replica) after it
      // is due, and its recorded start is when the replica's event loop got
      // to it: under the drain's load that was seen 1.1 s late, the next run
      // on time (a gap of 886 ms at a 2 s period). A second run for the same
      // period would follow the first within milliseconds; runs on each
      // replica's own clock would also double the count checked above.
      const tolerance = (periodMs * 3) / 4;
      if (inInterval.length > Math.ceil(expected) + 1)
        problems.push(
          `${inInterval.length} retention runs in ${
            (to - from) / 1000
          } s, at most ${Math.ceil(expected) + 1} expected`,
        );
      if (inInterval.length < Math.floor(expected * 0.75))
        problems.push(
          `only ${inInterval.length} retention runs in ${
            (to - from) / 1000
          } s, about ${expected} expected`,
        );
      if (minGap < periodMs - tolerance)
        problems.push(
          `two retention runs ${minGap} ms apart (period ${periodMs} ms): ${gaps.join(
            ',',
          )}`,
        );
      // Every old row deleted, by exactly one run.
      for (const key of Object.keys(seeded[0])) {
        const want = seeded.reduce((n, s) => n + s[key], 0);
        if (sum(runs, key) !== want)
          problems.push(
            `retention runs deleted ${sum(runs, key)} ${key}, ${want} seeded`,
          );
      }
      const [{ n: oldLeft }] = await knex('dq_attempts')
        .where('cluster_id', 'cluster-old')
        .count({ n: '*' });
      if (Number(oldLeft) > 0) problems.push(`${oldLeft} old attempts left`);

      // Both replicas report the shared state through the status route.
      for (const port of [portA, portB]) {
        const { status, body } = await getStatus(port);
        if (status !== 200 || !body.database?.ok || !body.retention?.lastRun)
          problems.push(
            `status of ${port}: ${status} ${JSON.stringify(body).slice(
              0,
              300,
            )}`,
          );
      }
      if (backends.some(b => !b.alive())) problems.push('a replica died');

      const by = port =>
        inInterval.filter(r => r.by === `replica-${port}`).length;
      if (by(portA) + by(portB) !== inInterval.length)
        problems.push(
          `runs recorded by unknown connections: ${inInterval
            .map(r => r.by)
            .join(',')}`,
        );
      const summary = `${total} events (+${duplicates} duplicates) via 2 webhooks and SQS, drained in ${(
        drainedAfter / 1000
      ).toFixed(1)} s; ${inInterval.length} retention runs in ${
        (to - from) / 1000
      } s at a ${periodSeconds} s period (≈${expected}; ${by(
        portA,
      )} by ${portA}, ${by(
        portB,
      )} by ${portB}), closest two ${minGap} ms apart, ${sum(
        runs,
        'attempts',
      )} old attempts deleted`;
      if (problems.length) {
        failed = true;
        log('FAILED:', problems.join('; '));
        log(summary);
      } else {
        log(`ok: ${summary}`);
      }
    })(),
  ]);
} catch (error) {
  failed = true;
  log('FAILED:', error.message);
} finally {
  clearTimeout(deadlineTimer);
  killBackends();
  await knex?.destroy();
  await database.drop?.().catch(() => {});
  await sqs.stop();
  log(`took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
process.exit(failed ? 1 : 0);
