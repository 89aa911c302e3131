#!/usr/bin/env node
// Sends the demo history through the real webhook (batches of 500). Resumes
// from the last day it completed (state in .data/), and because every event
// id is deterministic, re-sending a day stores nothing twice.
//
//   node scripts/demo/seed.mjs [--url http://127.0.0.1:7007] [--days 90]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAY, eventsOfDay } from './history.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => {
    if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
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

const totals = { stored: 0, duplicate: 0, rejected: 0 };
let batch = [];

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
    else totals.stored++;
  }
  batch = [];
}

const started = Date.now();
for (let day = firstDay; day <= today; day++) {
  for (const event of eventsOfDay(day, now)) {
    batch.push(event);
    if (batch.length === 500) await flush();
  }
}
await flush();
mkdirSync(dirname(stateFile), { recursive: true });
writeFileSync(stateFile, JSON.stringify({ lastDay: today }));
console.log(
  `demo history ${new Date(firstDay * DAY)
    .toISOString()
    .slice(0, 10)}..${new Date(today * DAY).toISOString().slice(0, 10)}: ${
    totals.stored
  } stored, ${totals.duplicate} already there, ${
    totals.rejected
  } rejected in ${((Date.now() - started) / 1000).toFixed(1)}s`,
);
process.exit(totals.rejected > 0 ? 1 : 0);
