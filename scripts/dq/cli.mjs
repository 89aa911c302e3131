#!/usr/bin/env node
// The repository's developer CLI.
//
//   yarn dq push [--url URL] [--key SECRET] [--source ID] [--event NAME] FILE…
//     Sends each file and prints its answer, one line per file. A file in
//     our format (an event or `{ events: [...] }`) goes to the webhook; with
//     --source, a native payload goes to /ingest/sources/<id> (GitHub's
//     signed with the key, its event taken from --event or guessed from the
//     payload; the others send the key as X-Webhook-Secret). Exits 1 when
//     any answer isn't 2xx.
//   yarn dq keygen NAME
//     Prints a new random secret for a webhook key named NAME, with the
//     app-config snippet, a curl and an HMAC-signed curl that use it.
//
// URL: the backend (default $DQ_BACKEND_URL, else http://localhost:7007).
// SECRET: default $DQ_KEY.
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const USAGE = `usage:
  yarn dq push [--url URL] [--key SECRET] [--source ID] [--event NAME] FILE…
  yarn dq keygen NAME`;

function parse(argv) {
  const options = {};
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) options[argv[i].slice(2)] = argv[++i];
    else rest.push(argv[i]);
  }
  return { options, rest };
}

/** GitHub's event name for a payload, from the object it carries. */
function githubEvent(payload) {
  for (const name of [
    'deployment_status',
    'workflow_job',
    'workflow_run',
    'deployment',
  ]) {
    if (payload && typeof payload === 'object' && name in payload) return name;
  }
  return undefined;
}

async function push({ options, rest: files }) {
  const base = (
    options.url ??
    process.env.DQ_BACKEND_URL ??
    'http://localhost:7007'
  ).replace(/\/$/, '');
  const key = options.key ?? process.env.DQ_KEY;
  if (files.length === 0 || !key) {
    console.error(USAGE);
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    const raw = readFileSync(file, 'utf8');
    const headers = { 'content-type': 'application/json' };
    let path = '/api/deployment-quality/ingest/webhook';
    if (options.source) {
      path = `/api/deployment-quality/ingest/sources/${encodeURIComponent(
        options.source,
      )}`;
      if (options.source === 'github') {
        let payload;
        try {
          payload = JSON.parse(raw);
        } catch {
          payload = undefined;
        }
        headers['x-github-event'] = options.event ?? githubEvent(payload) ?? '';
        headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', key)
          .update(raw)
          .digest('hex')}`;
      } else {
        headers['x-webhook-secret'] = key;
      }
    } else {
      headers['x-webhook-secret'] = key;
    }
    let line;
    try {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers,
        body: raw,
      });
      const body = (await res.text()).replace(/\s+/g, ' ').trim();
      if (!res.ok) failed++;
      line = `${basename(file)}: ${res.status} ${body}`;
    } catch (error) {
      failed++;
      line = `${basename(file)}: ${error.cause?.code ?? error.message}`;
    }
    console.log(line);
  }
  return failed ? 1 : 0;
}

function keygen({ rest: [name] }) {
  if (!name || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(name)) {
    console.error(`${USAGE}\nNAME: letters, digits, '.', '_' and '-'`);
    return 2;
  }
  const secret = randomBytes(32).toString('base64url');
  const env = `DQ_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_SECRET`;
  console.log(`# A new webhook key "${name}". Keep the secret in your CI's secret store
# and in the backend's environment, never in app-config itself.
export ${env}='${secret}'

# app-config.yaml (next to the keys already there, to rotate without downtime):
deploymentQuality:
  ingestion:
    webhook:
      keys:
        - name: ${name}
          secret: \${${env}}

# Send an event with it (DQ_URL: https://<backstage>/api/deployment-quality):
curl -sS -X POST "$DQ_URL/ingest/webhook" \\
  -H 'Content-Type: application/json' \\
  -H "X-Webhook-Secret: $${env}" \\
  -d @event.json

# Or sign the body instead of sending the secret (HMAC-SHA256 of the raw body):
SIG=$(openssl dgst -sha256 -hmac "$${env}" -hex < event.json | sed 's/^.* //')
curl -sS -X POST "$DQ_URL/ingest/webhook" \\
  -H 'Content-Type: application/json' \\
  -H "X-Signature-256: sha256=$SIG" \\
  --data-binary @event.json`);
  return 0;
}

const [command, ...argv] = process.argv.slice(2);
const commands = { push, keygen };
if (!commands[command]) {
  console.error(USAGE);
  process.exit(2);
}
process.exit(await commands[command](parse(argv)));
