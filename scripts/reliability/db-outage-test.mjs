#!/usr/bin/env node
// PostgreSQL outage during ingest: the server is stopped for 30 s while the
// consumer works through the queue, then started again. Afterwards every
// event must be stored exactly once, nothing may sit in the DLQ, and the
// same backend process must have recovered on its own (no restart).
// Needs root and Debian's PostgreSQL (pg_ctlcluster), as in CI.
//
//   node scripts/reliability/db-outage-test.mjs [--events 20000] [--outage 30]
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import {
  countStored,
  databaseFor,
  log,
  makeEvents,
  sleep,
  startBackend,
  startSqs,
  until,
  verifyStored,
} from './harness.mjs';
import { cliArgs } from '../lib/args.mjs';

const args = cliArgs();
const total = Number(args.events ?? 20_000);
const outageSeconds = Number(args.outage ?? 30);
const port = Number(args.port ?? 7108);
// SQS moves a message to the DLQ after 3 receives; 3 × 30 s outlasts the outage.
const visibility = 30;
const runId = `outage-${Date.now()}`;
const version = readdirSync('/etc/postgresql').sort().pop();
const pg = action =>
  execFileSync('pg_ctlcluster', [version, 'main', action], {
    stdio: 'inherit',
  });

const sqs = await startSqs({ visibility });
const database = databaseFor('pg', runId);
let backend;
let knex;
let failed = false;
try {
  const events = makeEvents(total, runId);
  await sqs.send(events.map(e => JSON.stringify(e)));
  backend = await startBackend({ port, database, sqs, visibility });
  knex = database.knex();
  await until(
    async () => (await countStored(knex)) >= total * 0.2,
    300_000,
    '20% stored',
  );
  const before = await countStored(knex);
  log(
    `stopping PostgreSQL ${version} for ${outageSeconds} s after ${before} events stored`,
  );
  pg('stop');
  try {
    await sleep(outageSeconds * 1000);
  } finally {
    pg('start');
  }
  log('PostgreSQL is back');
  await until(
    async () =>
      (await sqs.depth(sqs.queueUrl)) === 0 &&
      (await countStored(knex)) >= total,
    600_000,
    'the queue to drain',
  );
  await sleep(1000);
  const problems = await verifyStored(knex, events);
  const dlq = await sqs.depth(sqs.dlqUrl);
  if (dlq > 0) problems.push(`${dlq} messages in the DLQ`);
  if (!backend.alive()) problems.push('the backend process died');
  if (problems.length) {
    failed = true;
    log('FAILED:', problems.join('; '));
  } else {
    log(
      `ok: ${total} events stored exactly once across a ${outageSeconds} s outage, same process`,
    );
  }
} catch (error) {
  failed = true;
  log('FAILED:', error.message);
} finally {
  backend?.kill('SIGKILL');
  await knex?.destroy();
  await database.drop?.().catch(() => {});
  await sqs.stop();
}
process.exit(failed ? 1 : 0);
