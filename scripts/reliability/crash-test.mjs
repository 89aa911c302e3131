#!/usr/bin/env node
// Crash mid-ingest: N events on the queue, the backend SIGKILLed while it
// consumes them, then restarted; afterwards every event must be stored exactly
// once, with its content. Also prints the ingest rate between kill and drain.
//
//   node scripts/reliability/crash-test.mjs [--db sqlite|pg] [--events 50000]
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
const db = args.db ?? 'sqlite';
const total = Number(args.events ?? 50_000);
const port = Number(args.port ?? 7107);
const visibility = 10;
const runId = `crash-${db}-${Date.now()}`;

const sqs = await startSqs({ visibility });
const database = databaseFor(db, runId);
let backend;
let knex;
let failed = false;
try {
  const events = makeEvents(total, runId);
  log(`sending ${total} events to the queue`);
  await sqs.send(events.map(e => JSON.stringify(e)));

  backend = await startBackend({ port, database, sqs, visibility });
  knex = database.knex();
  const killAt = Math.floor(total * 0.3);
  // The rate is measured over a steady stretch before the kill, from 5% on.
  await until(
    async () => (await countStored(knex)) >= total * 0.05,
    300_000,
    'ingest to start',
  );
  const t0 = Date.now();
  const c0 = await countStored(knex);
  await until(
    async () => (await countStored(knex)) >= killAt,
    300_000,
    `${killAt} events stored`,
  );
  const before = await countStored(knex);
  const rate = (before - c0) / ((Date.now() - t0) / 1000);
  backend.kill('SIGKILL');
  log(`SIGKILL after ${before} events stored`);
  await sleep(1000);

  backend = await startBackend({ port, database, sqs, visibility });
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
  if (problems.length) {
    failed = true;
    log('FAILED:', problems.join('; '));
  } else {
    log(`ok: ${total} events stored exactly once after a SIGKILL at ${before}`);
  }
  log(
    `SQS → ${db} ingest: ${Math.round(
      rate,
    )} events/s (4 pollers, before the kill)`,
  );
} catch (error) {
  failed = true;
  log('FAILED:', error.message);
} finally {
  backend?.kill('SIGKILL');
  await knex?.destroy();
  await database.drop?.();
  await sqs.stop();
}
process.exit(failed ? 1 : 0);
