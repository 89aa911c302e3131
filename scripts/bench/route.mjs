#!/usr/bin/env node
// One read route of a generated fleet, alone: what it serves at 100
// connections when nothing else runs, to tell a route's own cost from what
// the full `yarn bench` run lays over it (background tasks, earlier routes).
//
//   node scripts/bench/route.mjs [--db sqlite|pg] [--attempts 1000000]
//        [--services 5000] [--profile] <path>…
//
// Paths are under /api/deployment-quality; $SERVICE stands for the busiest
// service, $FROM and $TO for the bench's 90-day window. Each is warmed for
// 5 s, then measured for 10 s. --profile takes a CPU profile of the backend
// over each measured run and says where its CPU went (profileSummary.mjs);
// the profiles stay in the directory it names.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliArgs } from '../lib/args.mjs';
import {
  READ_TOKEN,
  databaseFor,
  log,
  sleep,
  startBackend,
} from '../reliability/harness.mjs';
import { catalogEntities, generate, serviceIds } from './generate.mjs';
import { httpLoad } from './load.mjs';
import {
  formatProfile,
  formatTop,
  profileBackends,
  profileSummary,
} from './profileSummary.mjs';

const profile = process.argv.includes('--profile');
const argv = process.argv.slice(2).filter(a => a !== '--profile');
const paths = argv.filter(
  (a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'),
);
const args = cliArgs(argv.filter(a => !paths.includes(a)));
const kind = args.db ?? 'sqlite';
const services = Number(args.services ?? 5_000);
const attempts = Number(args.attempts ?? 1_000_000);
const port = 7199;
const day = t => new Date(t).toISOString().slice(0, 10);

const database = databaseFor(kind, `route-${Date.now()}`);
// The backend makes the schema (and, on PostgreSQL, the database).
await (await startBackend({ port, database })).stop();
const knex = database.knex();
await generate(knex, { attempts, services });
await knex.destroy();
const catalogFile = join(
  mkdtempSync(join(tmpdir(), 'dq-catalog-')),
  'entities.json',
);
writeFileSync(catalogFile, JSON.stringify(catalogEntities(services)));
const profiles = profile && profileBackends();
const backend = await startBackend({
  port,
  database,
  catalogFile,
  retention: { days: 365 },
  sourceMaps: false,
});
try {
  // The first catalog sync links the fleet's services.
  await sleep(10_000);
  const api = `http://127.0.0.1:${port}/api/deployment-quality`;
  const headers = { authorization: `Bearer ${READ_TOKEN}` };
  for (const path of paths) {
    const url =
      api +
      path
        .replace('$SERVICE', serviceIds(services)[0])
        .replace('$FROM', day(Date.now() - 89 * 86_400_000))
        .replace('$TO', day(Date.now()));
    await httpLoad({ url, connections: 100, duration: 5, headers });
    await backend.eventLoop();
    const r = await httpLoad({ url, connections: 100, duration: 10, headers });
    const loop = await backend.eventLoop();
    log(
      `${kind} ${path}: ${Math.round(r.rps)} req/s, p50/p99 ${r.p50}/${
        r.p99
      } ms, ${r.errors} errors; event loop p99/max ${loop.p99}/${loop.max} ms`,
    );
    if (loop.profile) {
      const summary = profileSummary(loop.profile);
      log(`  ${formatProfile(summary)}`);
      log(`  by package: ${formatTop(summary)}`);
    }
  }
} finally {
  await backend.stop();
  await database.drop?.();
  if (profiles) log(`CPU profiles: ${profiles}`);
}
process.exit(0);
