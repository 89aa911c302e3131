import { writeFileSync } from 'node:fs';
import { startBackend, READ_TOKEN } from '../reliability/harness.mjs';
import { catalogEntities } from './generate.mjs';
import { httpLoad } from './load.mjs';
writeFileSync(
  '/tmp/dqprof/entities.json',
  JSON.stringify(catalogEntities(5000)),
);
const port = 7131;
const backend = await startBackend({
  port,
  database: {
    config: {
      client: 'better-sqlite3',
      connection: { directory: '/tmp/dqprof/sqlite' },
    },
  },
  catalogFile: '/tmp/dqprof/entities.json',
  retention: { days: 365 },
});
const api = `http://127.0.0.1:${port}/api/deployment-quality`;
const headers = { authorization: `Bearer ${READ_TOKEN}` };
for (const path of (
  process.argv[2] ?? '/services/svc-0000/attempts?limit=50'
).split(',')) {
  await fetch(api + path, { headers }).then(r => r.text());
  const r = await httpLoad({
    url: api + path,
    connections: 100,
    duration: Number(process.argv[3] ?? 10),
    headers,
  });
  console.log(path, JSON.stringify(r));
}
await backend.stop();
