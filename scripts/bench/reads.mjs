// Read API at N attempts: every cluster-wide route and the entity routes
// through the backend (autocannon, a Backstage token) against its own
// queries run directly with knex at the same concurrency through a pool of
// 10, one after the other, with the backend's event-loop delay of each.
import { READ_TOKEN, log, sleep } from '../reliability/harness.mjs';
import { CLUSTERS, serviceIds } from './generate.mjs';
import { directLoad, httpLoad } from './load.mjs';
import { directQueries } from './direct.mjs';
import { cpuMeter, formatCpu } from './cpu.mjs';
import { formatProfile, profileSummary } from './profileSummary.mjs';

const DAY_MS = 86_400_000;
const PAGE = 50;
const DEEP = 20;
/** Calls of a route one at a time, after its first, for its longest hold. */
const ALONE_CALLS = 5;
const date = t => new Date(t).toISOString().slice(0, 10);

/**
 * The busiest cluster of the generated fleet (the generator weights the
 * first ones most): the worst case of each route.
 */
const cluster = CLUSTERS[0];

async function getJson(url) {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${READ_TOKEN}` },
    signal: AbortSignal.timeout(120_000),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * After autocannon stops, the backend still works off the requests it had
 * accepted: wait until a cheap read answers promptly, so they don't slow
 * the next measurement; if that takes too long, `restart` the backend.
 */
async function settle(api, restart) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const t0 = Date.now();
    try {
      await getJson(`${api}/clusters/${cluster}/attempts?limit=1`);
      if (Date.now() - t0 < 500) return false;
    } catch {
      await sleep(500);
    }
  }
  log('backend still busy a minute after the run: restarting it');
  await restart();
  return true;
}

/**
 * `restart()` replaces a backend that can't work off its backlog. Returns
 * one result per route.
 */
export async function benchReads({
  baseUrl,
  knex,
  connections,
  duration,
  pool,
  restart,
  eventLoop,
  services,
  backendPid = () => undefined,
}) {
  const api = `${baseUrl}/api/deployment-quality`;
  // The busiest service, as a Component of the bench's catalog.
  const service = serviceIds(services)[0];
  const entity = `/entities/default/component/${service}`;
  const sql = directQueries(knex);
  const now = Date.now();
  const from = date(now - 89 * DAY_MS);
  const to = date(now);

  // Follow the cursor as a user paging back would, then hammer that page.
  let cursor;
  for (let i = 0; i < DEEP; i++) {
    const page = await getJson(
      `${api}/clusters/${cluster}/attempts?limit=${PAGE}${
        cursor ? `&cursor=${cursor}` : ''
      }`,
    );
    cursor = page.nextCursor;
    if (!cursor) throw new Error(`only ${i + 1} pages of attempts`);
  }

  const window = `from=${from}&to=${to}`;
  const routes = [
    {
      name: 'clusters overview',
      path: '/clusters',
      direct: () => sql.clusters(),
      kind: 'list',
    },
    {
      // As the service filters ask: a short list, then a search.
      name: 'services, first 20',
      path: '/services?limit=20',
      direct: () => sql.services({ limit: 20 }),
      kind: 'list',
    },
    {
      name: 'services, search (20)',
      path: '/services?limit=20&q=vc-01',
      direct: () => sql.services({ limit: 20, q: 'vc-01' }),
      kind: 'list',
    },
    {
      // As the cluster page asks: totals and the first page of services.
      name: 'cluster summary (25 services)',
      path: `/clusters/${cluster}/summary?limit=25`,
      direct: () => sql.clusterSummary(cluster, 25),
      kind: 'list',
    },
    {
      name: `attempts, first page (${PAGE})`,
      path: `/clusters/${cluster}/attempts?limit=${PAGE}`,
      direct: () => sql.clusterAttempts(cluster, PAGE),
      kind: 'list',
    },
    {
      name: `attempts, page ${DEEP + 1} (keyset cursor)`,
      path: `/clusters/${cluster}/attempts?limit=${PAGE}&cursor=${cursor}`,
      direct: () => sql.clusterAttempts(cluster, PAGE, cursor),
      kind: 'list',
    },
    {
      name: `failures of a cluster (${PAGE})`,
      path: `/clusters/${cluster}/attempts?status=FAILED&limit=${PAGE}`,
      direct: () => sql.clusterAttempts(cluster, PAGE, undefined, 'FAILED'),
      kind: 'list',
    },
    {
      name: `service attempts, first page (${PAGE})`,
      path: `/services/${service}/attempts?limit=${PAGE}`,
      direct: () => sql.serviceAttempts(service, PAGE),
      kind: 'list',
    },
    {
      name: 'entity summary',
      path: `${entity}/summary`,
      direct: () => sql.entitySummary(service),
      kind: 'list',
    },
    {
      name: 'entity attempts, first page (20)',
      path: `${entity}/attempts?limit=20`,
      direct: () => sql.entityAttempts(service, 20),
      kind: 'list',
    },
    {
      name: '90-day scorecard, all services',
      path: `/scorecard?${window}`,
      direct: () => sql.scorecard({ from, to }),
      kind: 'analytics',
    },
    {
      name: '90-day analytics, all services',
      path: `/analytics?${window}`,
      direct: () => sql.analytics({ from, to, bucket: 'day' }),
      kind: 'analytics',
    },
    {
      name: '90-day analytics, one cluster',
      path: `/analytics?clusterId=${cluster}&${window}`,
      direct: () =>
        sql.analytics({ clusterId: cluster, from, to, bucket: 'day' }),
      kind: 'analytics',
    },
    {
      name: '90-day analytics, one entity',
      path: `${entity}/analytics?${window}`,
      direct: () =>
        sql.entityAnalytics({ serviceId: service, from, to, bucket: 'day' }),
      kind: 'analytics',
    },
  ];

  const results = [];
  for (const route of routes) {
    // One of each first: the route must work, and caches be warm. A
    // backend that died on the last route is replaced (run.mjs logs why).
    // The event loop is watched from here through a few more calls one at
    // a time: the longest hold of a single request, cold cache included,
    // apart from the delay a hundred connections queue up.
    await eventLoop();
    await getJson(`${api}${route.path}`)
      // A kept-alive socket the backend closed meanwhile: once more.
      .catch(() => sleep(1000).then(() => getJson(`${api}${route.path}`)))
      .catch(async error => {
        log(
          `${route.name}: ${error.message} (${
            error.cause?.code ?? error.cause?.message
          }); restarting the backend`,
        );
        await restart();
        await getJson(`${api}${route.path}`);
      });
    for (let i = 0; i < ALONE_CALLS; i++) await getJson(`${api}${route.path}`);
    const alone = await eventLoop();
    await route.direct();
    // Its queries alone, one call at a time: what the route costs before
    // any queueing, to tell slow SQL from too much concurrency.
    const solo = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await route.direct();
      solo.push(performance.now() - t);
    }
    const t0 = Date.now();
    await eventLoop();
    let cpu = cpuMeter(backendPid());
    const plugin = await httpLoad({
      url: `${api}${route.path}`,
      connections,
      duration,
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    plugin.cpu = cpu();
    const loop = await eventLoop();
    // With `yarn bench --profile`, the backend profiled this run.
    if (loop.profile) plugin.profile = profileSummary(loop.profile);
    const restarted = await settle(api, restart);
    cpu = cpuMeter(backendPid());
    const direct = await directLoad({
      fn: route.direct,
      concurrency: connections,
      duration,
      pool,
    });
    direct.cpu = cpu();
    log(
      `${route.name}: backend p50/p99 ${plugin.p50}/${plugin.p99} ms (${
        plugin.completed
      } answers${
        plugin.errors
          ? `, ${plugin.errors} errors ${plugin.statuses.join(' ')}`
          : ''
      }), event loop p99/max ${loop.p99}/${loop.max} ms (alone max ${
        alone.max
      } ms), direct ${direct.p50.toFixed(1)}/${direct.p99.toFixed(1)} ms (${
        direct.completed
      }), solo ${solo[1].toFixed(1)} ms [${Math.round(
        (Date.now() - t0) / 1000,
      )} s]; backend run: ${formatCpu(plugin.cpu)}; direct run: ${formatCpu(
        direct.cpu,
      )}${plugin.profile ? `; ${formatProfile(plugin.profile)}` : ''}`,
    );
    results.push({
      name: route.name,
      kind: route.kind,
      path: route.path.replace(/cursor=[^&]+/, 'cursor=…'),
      plugin,
      direct,
      loop,
      alone,
      soloMs: solo.sort((a, b) => a - b)[1],
      restarted,
    });
  }
  await sql.close();
  return results;
}
