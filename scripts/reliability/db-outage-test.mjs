#!/usr/bin/env node
// PostgreSQL outage during ingest: the server is stopped for 30 s while the
// consumer works through the queue, then started again. Afterwards every
// event must be stored exactly once, nothing may sit in the DLQ, and the
// same backend process must have recovered on its own (no restart). The
// status route must say so: within a few seconds of the stop, and on every
// poll through the outage, it answers 200 with `ok: false`, `database.ok:
// false` and a problem naming the database; after the restart it reports
// `ok: true` and `database.ok: true` again.
// Needs root and Debian's PostgreSQL (pg_ctlcluster), as in CI.
//
//   node scripts/reliability/db-outage-test.mjs [--events 20000] [--outage 30]
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import {
  countStored,
  databaseFor,
  getStatus,
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
// How soon after the stop the status route must report the outage.
const reportWithinMs = 5000;
// How soon after the restart it must report healthy again: the consumer
// backs off up to 30 s between retries, and a problem is reported until it
// is running again.
const recoverWithinMs = 90_000;

/** `GET /status`, never throwing: a failed request is `{ status: 0 }`. */
const status = () =>
  getStatus(port).catch(error => ({ status: 0, body: String(error) }));
const reportsOutage = ({ status: code, body }) =>
  code === 200 &&
  body.ok === false &&
  body.database?.ok === false &&
  (body.problems ?? []).some(p => /database/i.test(p));
const reportsHealthy = ({ status: code, body }) =>
  code === 200 && body.ok === true && body.database?.ok === true;
const show = ({ status: code, body }) =>
  `${code} ${JSON.stringify(body).slice(0, 300)}`;
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
  const problems = [];
  let healthy = await status();
  if (!reportsHealthy(healthy))
    log(`status before the outage (not required ok): ${show(healthy)}`);
  pg('stop');
  const stoppedAt = Date.now();
  let reportedAfter;
  let polls = 0;
  try {
    // Poll through the whole outage: once reported, every answer must
    // still report it.
    while (Date.now() - stoppedAt < outageSeconds * 1000) {
      const answer = await status();
      polls++;
      if (reportsOutage(answer)) {
        reportedAfter ??= Date.now() - stoppedAt;
      } else if (reportedAfter !== undefined) {
        problems.push(`status during the outage: ${show(answer)}`);
        break;
      } else if (Date.now() - stoppedAt > reportWithinMs) {
        problems.push(
          `status not reporting the outage ${reportWithinMs} ms after the stop: ${show(
            answer,
          )}`,
        );
        break;
      }
      await sleep(500);
    }
    await sleep(Math.max(stoppedAt + outageSeconds * 1000 - Date.now(), 0));
  } finally {
    pg('start');
  }
  const startedAt = Date.now();
  log(
    `PostgreSQL is back; status reported the outage ${reportedAfter} ms after the stop (${polls} polls)`,
  );
  let recoveredAfter;
  let databaseOkAfter;
  try {
    await until(
      async () => {
        healthy = await status();
        if (healthy.body?.database?.ok)
          databaseOkAfter ??= Date.now() - startedAt;
        return reportsHealthy(healthy);
      },
      recoverWithinMs,
      'status to report recovery',
    );
    recoveredAfter = Date.now() - startedAt;
    log(
      `status reported database.ok after ${databaseOkAfter} ms and ok after ${recoveredAfter} ms (the consumer's back-off) from the restart`,
    );
  } catch {
    problems.push(
      `status not ok ${recoverWithinMs} ms after the restart: ${show(healthy)}`,
    );
  }
  await until(
    async () =>
      (await sqs.depth(sqs.queueUrl)) === 0 &&
      (await countStored(knex)) >= total,
    600_000,
    'the queue to drain',
  );
  await sleep(1000);
  problems.push(...(await verifyStored(knex, events)));
  const dlq = await sqs.depth(sqs.dlqUrl);
  if (dlq > 0) problems.push(`${dlq} messages in the DLQ`);
  if (!backend.alive()) problems.push('the backend process died');
  if (problems.length) {
    failed = true;
    log('FAILED:', problems.join('; '));
  } else {
    log(
      `ok: ${total} events stored exactly once across a ${outageSeconds} s outage, same process; status reported it after ${reportedAfter} ms and recovery after ${recoveredAfter} ms`,
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
