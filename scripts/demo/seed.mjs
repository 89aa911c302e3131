#!/usr/bin/env node
// Sends the demo history through the real ingestion paths: the webhook
// (batches of 500) and, with --sqs, every third day straight to the SQS
// queue as envelopes, the way a CI system may. Resumes from the last day it
// completed (state in .data/), and because every event id is deterministic,
// re-sending a day stores nothing twice.
//
//   node scripts/demo/seed.mjs [--url http://127.0.0.1:7007] [--days 90]
//        [--sqs '{"endpoint":"http://127.0.0.1:9324","queueUrl":"…"}']
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAY, eventsOfDay, unitReportsOfDay } from './history.mjs';
import { cliArgs } from '../lib/args.mjs';

const args = cliArgs();
const url = `${
  args.url ?? 'http://127.0.0.1:7007'
}/api/deployment-quality/ingest/webhook`;
const secret =
  args.secret ?? process.env.DQ_WEBHOOK_SECRET ?? 'local-dev-webhook-secret';
const days = Number(args.days ?? 90);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const stateFile = args.state ?? join(repoRoot, '.data', 'demo-seed.json');

const now = Date.now();
const today = Math.floor(now / DAY);
let state = {};
try {
  state = JSON.parse(readFileSync(stateFile, 'utf8'));
} catch {
  // first run
}
// The last completed day is sent again: some of its events were in the future then.
const firstDay = Math.max(today - days + 1, state.lastDay ?? -Infinity);

// Webhook answers (stored directly, or queued in queue mode) and direct sends.
const totals = { stored: 0, queued: 0, duplicate: 0, rejected: 0, direct: 0 };
let batch = [];

const sqs = args.sqs ? JSON.parse(args.sqs) : undefined;
const sqsApi = sqs ? await import('@aws-sdk/client-sqs') : undefined;
const sqsClient = sqs
  ? new sqsApi.SQSClient({ region: 'us-east-1', endpoint: sqs.endpoint })
  : undefined;

async function sendToQueue(events) {
  const receivedAt = new Date().toISOString();
  for (let i = 0; i < events.length; i += 10) {
    const result = await sqsClient.send(
      new sqsApi.SendMessageBatchCommand({
        QueueUrl: sqs.queueUrl,
        Entries: events.slice(i, i + 10).map((event, n) => ({
          Id: String(n),
          MessageBody: JSON.stringify({ ...event, receivedAt }),
        })),
      }),
    );
    if (result.Failed?.length)
      throw new Error(`SQS refused ${result.Failed.length} messages`);
    totals.direct += Math.min(10, events.length - i);
  }
}

async function queueDepth() {
  const { Attributes = {} } = await sqsClient.send(
    new sqsApi.GetQueueAttributesCommand({
      QueueUrl: sqs.queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
      ],
    }),
  );
  return Object.values(Attributes).reduce((n, v) => n + Number(v), 0);
}

async function flush() {
  if (batch.length === 0) return;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-secret': secret },
    body: JSON.stringify({ events: batch }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok && !body.results) {
    throw new Error(`webhook answered ${res.status}: ${JSON.stringify(body)}`);
  }
  for (const r of body.results) {
    if (r.status === 'rejected') {
      totals.rejected++;
      console.error('rejected', JSON.stringify(r));
    } else if (r.duplicate) totals.duplicate++;
    else if (r.status === 'queued') totals.queued++;
    else totals.stored++;
  }
  batch = [];
}

const started = Date.now();
for (let day = firstDay; day <= today; day++) {
  const events = eventsOfDay(day, now);
  if (sqs && day % 3 === 0) {
    await sendToQueue(events);
    continue;
  }
  for (const event of events) {
    batch.push(event);
    if (batch.length === 500) await flush();
  }
}
await flush();
if (sqs) {
  // The backend's consumer writes what went to the queue; wait for it.
  const deadline = Date.now() + 180_000;
  while ((await queueDepth()) > 0 && Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 500));
  }
}
// The last two weeks' unit-test reports, for the per-test views.
let reportsSent = 0;
for (let day = Math.max(firstDay, today - 13); day <= today; day++) {
  for (const report of unitReportsOfDay(day, now)) {
    const res = await fetch(
      url.replace(/\/ingest\/webhook$/, `/ingest/test-reports?${report.query}`),
      {
        method: 'POST',
        headers: {
          'content-type': 'application/xml',
          'x-webhook-secret': secret,
        },
        body: report.xml,
      },
    );
    if (res.status !== 202) {
      totals.rejected++;
      console.error('test report refused', res.status, await res.text());
    } else reportsSent++;
  }
}
mkdirSync(dirname(stateFile), { recursive: true });
writeFileSync(stateFile, JSON.stringify({ lastDay: today }));
const span = [firstDay, today].map(d =>
  new Date(d * DAY).toISOString().slice(0, 10),
);
console.log(
  `demo history ${span.join('..')}: webhook ${totals.stored} stored, ${
    totals.queued
  } queued, ` +
    `${totals.duplicate} already there, ${totals.rejected} rejected; ` +
    `${
      totals.direct
    } sent straight to SQS; ${reportsSent} unit-test reports; ${(
      (Date.now() - started) /
      1000
    ).toFixed(1)}s`,
);
process.exit(totals.rejected > 0 ? 1 : 0);
