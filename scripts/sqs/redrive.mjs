#!/usr/bin/env node
// Moves dead-lettered messages back to the ingest queue through the
// backend's admin route (`POST /api/deployment-quality/admin/dead-letters/
// redrive`, permission `deployment-quality.admin`), so the move uses the
// backend's own queue settings and AWS credentials. Prints the answer.
//
//   yarn dlq:redrive --url https://backstage.example.com --token "$TOKEN" [--max 1000]
//
// TOKEN: a Backstage token allowed `deployment-quality.admin`, e.g. a static
// external-access token (backend.auth.externalAccess) for operators.
import { cliArgs } from '../lib/args.mjs';

const args = cliArgs();
const base = (
  args.url ??
  process.env.DQ_URL ??
  'http://localhost:7007'
).replace(/\/$/, '');
const token = args.token ?? process.env.DQ_TOKEN;
if (!token) {
  console.error(
    'usage: yarn dlq:redrive --url <backend URL> --token <token> [--max N]',
  );
  process.exit(2);
}
const res = await fetch(
  `${base}/api/deployment-quality/admin/dead-letters/redrive`,
  {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(args.max ? { max: Number(args.max) } : {}),
  },
);
const body = await res.text();
console.log(`${res.status} ${body}`);
process.exit(res.ok ? 0 : 1);
