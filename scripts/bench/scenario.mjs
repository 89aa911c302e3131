// The 1,000-user scenario (the seed's phase-3 load test): each simulated
// user opens the overview, a cluster page and one service's Deployments and
// Quality tabs, as the browser does (each view's requests at once, a few
// seconds between views), and stays on the service: its tabs refresh every
// 60 s, as their auto-refresh does. Users start spread over the first
// minute. Meanwhile CI keeps reporting: deployments of the fleet's services
// arrive through the webhook at `writesPerSecond`, so the backend's caches
// see writes as in production.
import http from 'node:http';
import { READ_TOKEN } from '../reliability/harness.mjs';
import { CLUSTERS, prng, serviceIds } from './generate.mjs';

const DAY_MS = 86_400_000;
const REFRESH_MS = 60_000;
/** Between two views: reading the first, clicking through. */
const THINK_MS = 3_000;
/** The harness's webhook key. */
const SECRET = 'reliability-secret-0123456789';
const date = t => new Date(t).toISOString().slice(0, 10);

/** The requests each view makes when it opens or refreshes. */
function views(clusterId, serviceId) {
  const entity = `/entities/default/component/${serviceId}`;
  const now = Date.now();
  return {
    // ClustersOverview: the cluster cards, the status panel, and the
    // fleet's failures and rollbacks (RecentProblems).
    overview: [
      '/clusters',
      '/status',
      '/attempts?status=FAILED&limit=50',
      '/attempts?status=ROLLBACK&limit=50',
    ],
    // ClusterDetailPage: totals with the first page of services, the first
    // page of attempts, and its service filter's first suggestions.
    cluster: [
      `/clusters/${clusterId}/summary?limit=25&offset=0`,
      `/services?limit=20&clusterId=${clusterId}`,
      `/clusters/${clusterId}/attempts?limit=20`,
    ],
    // The entity's Deployments tab, then its Quality tab (last 30 days).
    deployments: [
      `${entity}/summary`,
      `${entity}/attempts?limit=20`,
      `${entity}/promotions?limit=20`,
    ],
    quality: [
      `${entity}/analytics?from=${date(now - 29 * DAY_MS)}&to=${date(now)}`,
    ],
  };
}

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function summarize(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? NaN,
  };
}

/**
 * Runs `users` users against the backend at `baseUrl` for `seconds`
 * (whole refresh rounds are not awaited past the end: the run stops
 * issuing views then and waits only for the requests in flight).
 */
export async function benchScenario({
  baseUrl,
  users,
  seconds,
  services,
  writesPerSecond = 2,
  seed = 3,
}) {
  const api = new URL('/api/deployment-quality', baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const fleet = serviceIds(services);
  const rand = prng(seed);
  const byView = { overview: [], cluster: [], deployments: [], quality: [] };
  // By route, its ids and dates as placeholders: which request makes a view slow.
  const byRoute = new Map();
  const routeOf = (path, clusterId) =>
    path
      .replace(/\/entities\/default\/component\/[^/]+/, '/entities/:entity')
      .replaceAll(clusterId, ':cluster')
      .replace(/from=[\d-]+&to=[\d-]+/, 'from=…&to=…');
  const errors = new Map();
  const start = performance.now();
  const end = start + seconds * 1000;

  // A kept-alive socket the server closed as the request went out resets;
  // browsers send such a GET again, and so does this (once).
  const get = (path, retried = false) =>
    new Promise(resolve => {
      const t0 = performance.now();
      const req = http.get(
        `${api.href}${path}`,
        {
          agent,
          headers: { authorization: `Bearer ${READ_TOKEN}` },
          timeout: 60_000,
        },
        res => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode, ms: performance.now() - t0 }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', error => {
        if (!retried && req.reusedSocket && error.code === 'ECONNRESET') {
          resolve(get(path, true));
        } else {
          resolve({ status: error.message, ms: performance.now() - t0 });
        }
      });
    });

  const sleepUntil = t =>
    new Promise(resolve =>
      setTimeout(resolve, Math.max(0, t - performance.now())),
    );

  async function view(name, pages, clusterId) {
    const answers = await Promise.all(pages[name].map(path => get(path)));
    for (const [i, a] of answers.entries()) {
      byView[name].push(a.ms);
      const route = routeOf(pages[name][i], clusterId);
      if (!byRoute.has(route)) byRoute.set(route, []);
      byRoute.get(route).push(a.ms);
      if (a.status !== 200) {
        const key = `${a.status} ${pages[name][i].split('?')[0]}`;
        errors.set(key, (errors.get(key) ?? 0) + 1);
      }
    }
  }

  async function user(index) {
    const clusterId = CLUSTERS[Math.floor(rand() * CLUSTERS.length)];
    const serviceId = fleet[Math.floor(rand() * fleet.length)];
    // Spread over the first minute (half the run, if shorter).
    let at = start + (index / users) * Math.min(REFRESH_MS, seconds * 500);
    await sleepUntil(at);
    const pages = views(clusterId, serviceId);
    for (const name of ['overview', 'cluster', 'deployments', 'quality']) {
      if (performance.now() >= end) return;
      await view(name, pages, clusterId);
      await sleepUntil(performance.now() + THINK_MS);
    }
    // On the service's page: both tabs' data, every minute.
    for (at += REFRESH_MS; at < end; at += REFRESH_MS) {
      await sleepUntil(at);
      if (performance.now() >= end) return;
      await Promise.all([
        view('deployments', pages, clusterId),
        view('quality', pages, clusterId),
      ]);
    }
  }

  // CI reporting meanwhile: new attempts of the fleet's services.
  let writes = 0;
  let writeErrors = 0;
  const runId = Date.now();
  const writer = (async () => {
    for (let i = 0; performance.now() < end; i++) {
      await sleepUntil(start + (i * 1000) / writesPerSecond);
      const startedAt = Date.now() - 60_000;
      const res = await fetch(`${api.href}/ingest/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-webhook-secret': SECRET,
        },
        body: JSON.stringify({
          source: 'bench',
          eventType: 'deployment',
          payload: {
            clusterId: CLUSTERS[i % CLUSTERS.length],
            serviceId: fleet[Math.floor(rand() * fleet.length)],
            buildVersion: `9.${runId % 1000}.${i}`,
            gitSha: 'abcdef1',
            status: i % 10 === 0 ? 'FAILED' : 'SUCCESS',
            startedAt: new Date(startedAt).toISOString(),
            endedAt: new Date(startedAt + 30_000).toISOString(),
            trigger: 'merge',
            runNumber: i,
          },
        }),
      }).catch(() => undefined);
      if (res?.status === 202) writes++;
      else writeErrors++;
      await res?.text();
    }
  })();

  await Promise.all(Array.from({ length: users }, (_, i) => user(i)));
  await writer;
  agent.destroy();
  const all = Object.values(byView).flat();
  const elapsed = (performance.now() - start) / 1000;
  return {
    users,
    seconds: Math.round(elapsed),
    requests: all.length,
    rps: all.length / elapsed,
    writes,
    writeErrors,
    errors: [...errors.values()].reduce((a, b) => a + b, 0),
    errorKinds: Object.fromEntries(errors),
    overall: summarize(all),
    views: Object.fromEntries(
      Object.entries(byView).map(([view, ms]) => [view, summarize(ms)]),
    ),
    routes: Object.fromEntries(
      [...byRoute].map(([route, ms]) => [route, summarize(ms)]),
    ),
  };
}
