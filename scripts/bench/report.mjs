// docs/performance.md from one run's results: per database a table of
// figure, bare limit, ratio, target and whether it is met (targets from
// ../shared/spec/quality-bar.md, "Speed").
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import prettier from 'prettier';
import { POD_HEAP_MIB, repoRoot } from '../reliability/harness.mjs';

/** What follows it in docs/performance.md other benchmarks wrote: kept. */
const KEPT_MARKER = '<!-- other benchmarks: kept by yarn bench -->';

export const TARGETS = {
  ingestPg: 3000,
  ingestRatio: 0.5,
  webhookRps: 2000,
  webhookP99: 50,
  webhookRatio: 0.5,
  listP99: 50,
  analyticsP99: 150,
  readRatio: 1.5,
  scenarioP99: 500,
  eventLoopMax: 100,
  rssMiB: 512,
};

const int = n => Math.round(n).toLocaleString('en-US');
const rate = n => (n < 10 ? n.toFixed(1) : int(n));
const ms = n => (Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : int(n)) : '—');
const ratio = n => (Number.isFinite(n) ? n.toFixed(2) : '—');
const yes = ok => (ok ? '✅ yes' : '❌ no');
const loopOf = l => (l ? `${ms(l.p99)} / ${ms(l.max)} ms` : '—');

function latency(r) {
  return r.completed
    ? `p50 ${ms(r.p50)} / p99 ${ms(r.p99)} ms, ${rate(r.rps)} req/s`
    : 'no answer within the run';
}

/** The rows of one database's table, with whether each target is met. */
export function rowsFor(kind, r) {
  const rows = [];
  const T = TARGETS;
  const ing = r.ingest.plugin / r.ingest.bare;
  rows.push({
    figure: `SQS → DB ingest, ${r.ingest.pollers} pollers, ${int(
      r.ingest.messages,
    )} messages`,
    value: `${int(r.ingest.plugin)} events/s`,
    limit: `${int(r.ingest.bare)} events/s (bare loop)`,
    ratio: ratio(ing),
    loop: '—',
    target:
      kind === 'pg'
        ? `≥ ${int(T.ingestPg)} events/s, ratio ≥ ${T.ingestRatio}`
        : `ratio ≥ ${T.ingestRatio} (the events/s target is PostgreSQL's)`,
    met:
      ing >= T.ingestRatio && (kind !== 'pg' || r.ingest.plugin >= T.ingestPg),
  });
  const { webhook, noop } = r.http;
  const wr = webhook.rps / noop.rps;
  rows.push({
    figure: `webhook, ${r.http.connections} connections`,
    value:
      latency(webhook) + (webhook.errors ? `, ${webhook.errors} errors` : ''),
    limit: `${latency(noop)} (no-op route)`,
    ratio: ratio(wr),
    loop: loopOf(r.http.loop),
    target: `≥ ${int(T.webhookRps)} req/s, p99 < ${T.webhookP99} ms, ratio ≥ ${
      T.webhookRatio
    }`,
    met:
      webhook.rps >= T.webhookRps &&
      webhook.p99 < T.webhookP99 &&
      wr >= T.webhookRatio &&
      !webhook.errors,
  });
  for (const read of r.reads) {
    const limit = read.kind === 'analytics' ? T.analyticsP99 : T.listP99;
    // Without an answer from the backend there is nothing to compare. When
    // the direct calls gave none within the run, their p99 under load is at
    // least one call alone, so that bounds the ratio from above.
    const bounded = read.plugin.completed && !read.direct.completed;
    const rr = !read.plugin.completed
      ? NaN
      : bounded
      ? read.plugin.p99 / read.soloMs
      : read.plugin.p99 / read.direct.p99;
    rows.push({
      figure: `${read.name}, ${r.readConnections} connections${
        read.restarted ? ' (backend restarted after the run)' : ''
      }`,
      value:
        latency(read.plugin) +
        (read.plugin.errors ? `, ${read.plugin.errors} errors` : ''),
      limit: `${latency(read.direct)} (same SQL, pool of ${r.pool}; ${ms(
        read.soloMs,
      )} ms alone)`,
      ratio: bounded ? `< ${ratio(rr)}` : ratio(rr),
      loop: `${loopOf(read.loop)}${
        read.alone ? `; alone ${ms(read.alone.max)} ms` : ''
      }`,
      target: `p99 < ${limit} ms, ratio ≤ ${T.readRatio}`,
      met:
        read.plugin.completed > 0 &&
        read.plugin.p99 < limit &&
        rr <= T.readRatio &&
        !read.plugin.errors,
    });
  }
  const sc = r.scenario;
  rows.push({
    figure: `${int(
      sc.users,
    )}-user scenario: overview, cluster page, a service's tabs refreshed every 60 s; ${
      sc.writes
    } deployments written meanwhile; ${sc.seconds} s`,
    value: `p50 ${ms(sc.overall.p50)} / p99 ${ms(sc.overall.p99)} / max ${ms(
      sc.overall.max,
    )} ms, ${int(sc.requests)} requests (${rate(sc.rps)} req/s), ${int(
      sc.errors + sc.writeErrors,
    )} errors; p99 by view: overview ${ms(sc.views.overview.p99)}, cluster ${ms(
      sc.views.cluster.p99,
    )}, Deployments tab ${ms(sc.views.deployments.p99)}, Quality tab ${ms(
      sc.views.quality.p99,
    )} ms`,
    limit: '—',
    ratio: '—',
    loop: loopOf(sc.loop),
    target: `p99 < ${T.scenarioP99} ms, no errors`,
    met: sc.overall.p99 < T.scenarioP99 && !sc.errors && !sc.writeErrors,
  });
  const loops = [...r.reads.map(x => x.loop), sc.loop, r.http.loop].filter(
    Boolean,
  );
  const delay = Math.max(...loops.map(l => l.max));
  const held = Math.max(...r.reads.map(x => x.alone?.max ?? NaN));
  rows.push({
    figure:
      'event loop held by one request (the longest, over every read route called alone, first call on a cold cache included)',
    value: `${ms(held)} ms; under load the loop's delay reached ${ms(
      delay,
    )} ms (the worst max of every phase above: many requests' work queued in one turn of the loop)`,
    limit: '—',
    ratio: '—',
    loop: '—',
    target: `< ${T.eventLoopMax} ms`,
    met: held < T.eventLoopMax,
  });
  rows.push({
    figure: 'peak backend RSS (all phases on this database)',
    value: `${int(r.rssMiB)} MiB (${int(r.idleMiB)} MiB idle after start${
      r.http.loop?.memoryMiB
        ? `; at the end the V8 heap held ${int(
            r.http.loop.memoryMiB.heapUsed,
          )} of ${int(r.http.loop.memoryMiB.heapTotal)} MiB`
        : ''
    })`,
    limit: 'the pod limit',
    ratio: '—',
    loop: '—',
    target: `< ${T.rssMiB} MiB`,
    met: r.rssMiB < T.rssMiB,
  });
  return rows;
}

function table(rows) {
  const line = cells => `| ${cells.join(' | ')} |`;
  return [
    line([
      'figure',
      'measured',
      'bare limit',
      'ratio',
      'event loop p99 / max',
      'target',
      'met?',
    ]),
    line(['---', '---', '---', '---', '---', '---', '---']),
    ...rows.map(r =>
      line([r.figure, r.value, r.limit, r.ratio, r.loop, r.target, yes(r.met)]),
    ),
  ].join('\n');
}

const NAMES = { pg: 'PostgreSQL', sqlite: 'SQLite' };

export function writeReport({ command, options, results, env, timings }) {
  const cpu = cpus();
  const out = [
    '# Performance',
    '',
    '<!-- Written by `yarn bench` (scripts/bench/run.mjs); each run overwrites it. -->',
    '',
    `Measured ${new Date()
      .toISOString()
      .slice(0, 16)
      .replace('T', ' ')} UTC with`,
    '',
    '```sh',
    command,
    '```',
    '',
    `- Machine: ${cpu.length} × ${cpu[0]?.model.trim()}, ${int(
      totalmem() / 2 ** 30,
    )} GiB RAM. 1-minute load average: ${env.loadBefore[0].toFixed(
      2,
    )} before the run, up to ${env.loadPeak.toFixed(
      2,
    )} during it, ${loadavg()[0].toFixed(
      2,
    )} after (the bench itself keeps about 2–3 busy; more is other work on the machine).`,
    `- Node ${process.versions.node}; ${env.versions}.`,
    `- Data: ${int(options.attempts)} attempts, ${int(
      options.attempts * 3,
    )} test runs, ${int(
      options.services,
    )} services (and as many catalog Components, owned by 50 teams) on 6 clusters over 90 days (scripts/bench/generate.mjs, seeded); SQS: ${int(
      options.messages,
    )} deployment and test-result messages on a local fauxqs queue.`,
    `- Each figure is measured beside its bare limit in the same run: the SQS consumer against a bare receive → one knex transaction per batch → delete loop with the same pollers; the webhook against \`GET /.backstage/health/v1/liveness\` on the same backend; each read route (autocannon, ${options.readDuration} s each, a static Backstage token) against the plugin's own read classes (the same queries through knex, without HTTP, auth and validation) at the same concurrency through a pool of ${options.pool}. Read ratios are p99 over p99; "alone" is the median of three calls of the same queries one at a time. The backend is the plugin's dev backend (\`dev/index.ts\`, started by the reliability harness) in its own process with \`--max-old-space-size=${POD_HEAP_MIB}\` and without source maps, as a 512 MiB pod runs it; the plugin's config schema is the JSON its package publishes, so no TypeScript compiler is loaded at start; the webhook runs in embedded mode (writes in the request), the SQS ingest in queue mode.`,
    `- Reads use the busiest cluster and service of the generated fleet (the worst case): \`mira-us-west-2\` and the Component of its busiest service. The caller may read everything (the dev backend has no permission policy; the restrictive-policy cost is covered by the fleet tests). On SQLite the backend and the direct side alike read through two reader threads (\`deploymentQuality.sqlite.readerThreads\`).`,
    `- Event loop: the backend's own \`monitorEventLoopDelay\` (10 ms resolution) over each route's run, the scenario and the webhook run: p99 and the longest delay. At 100 connections that delay is mostly queueing (every request whose bytes arrived in one turn of the loop runs in that turn), so each read route is also watched alone: its first call (a cold cache) and 5 more, one at a time; the longest delay then is the longest any one request held the loop ("alone").`,
    `- The ${int(
      options.users,
    )}-user scenario (scripts/bench/scenario.mjs): each user opens the overview (clusters, status, the fleet's failures and rollbacks: 4 requests), a cluster page (its summary with the first 25 services, the first attempts page, the service filter's suggestions), then one service's Deployments tab (3 requests) and Quality tab (1), each view's requests at once and 3 s between views, and stays there: both tabs refresh every 60 s. Users start spread over the first minute, each on a random cluster and service. Meanwhile deployments of random services arrive through the webhook, 2 a second, so the backend's caches of fleet-wide answers (FiguresCache, \`analytics.maxStaleSeconds\`) work as under production writes.`,
    '',
  ];
  for (const [kind, r] of Object.entries(results)) {
    out.push(`## ${NAMES[kind]}`, '', table(rowsFor(kind, r)), '');
    if (r.reads.every(x => x.plugin.cpu && x.direct.cpu)) {
      const c = x =>
        `${x.backend.toFixed(2)} / ${x.database.toFixed(2)} / ${x.bench.toFixed(
          2,
        )} / ${x.other.toFixed(2)}`;
      out.push(
        `Where the machine's ${
          cpus().length
        } cores went during each read route's run, in cores used on average: the backend (its reader threads included) / ${
          kind === 'pg' ? "PostgreSQL's processes" : 'no database process'
        } / the bench process (load generator and direct side) / anything else (scripts/bench/cpu.mjs, from /proc):`,
        '',
        '| route | over the backend run | over the direct run |',
        '| --- | --- | --- |',
        ...r.reads.map(
          x => `| ${x.name} | ${c(x.plugin.cpu)} | ${c(x.direct.cpu)} |`,
        ),
        '',
      );
    }
    if (r.scenario.routes) {
      out.push(
        'The scenario by route (every request of every user):',
        '',
        '| route | requests | p50 | p99 | max |',
        '| --- | --- | --- | --- | --- |',
        ...Object.entries(r.scenario.routes).map(
          ([route, x]) =>
            `| \`${route}\` | ${int(x.n)} | ${ms(x.p50)} | ${ms(x.p99)} | ${ms(
              x.max,
            )} |`,
        ),
        '',
      );
    }
    out.push(
      `Phases: ${Object.entries(timings[kind])
        .map(([phase, s]) => `${phase} ${Math.round(s)} s`)
        .join(', ')}.`,
      '',
    );
  }
  const file = join(repoRoot, 'docs', 'performance.md');
  // Sections other benchmarks measured stay, below their marker.
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept = previous.indexOf(KEPT_MARKER);
  if (kept >= 0) out.push(previous.slice(kept));
  // Formatted as the repo's prettier check expects (aligned tables).
  writeFileSync(
    file,
    prettier.format(out.join('\n'), {
      ...prettier.resolveConfig.sync(file),
      filepath: file,
    }),
  );
  return file;
}
