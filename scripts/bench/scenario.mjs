// The 1,000-user scenario (the seed's phase-3 load test): each simulated
// user opens the overview, a cluster page and one service's tabs, as the
// browser does (each view's requests at once, one view after the other),
// and then keeps all three open: every 60 s the three views refresh, as
// their 60 s auto-refresh does. Users start spread over the first minute.
import http from 'node:http';
import { READ_TOKEN } from '../reliability/harness.mjs';
import { CLUSTERS, serviceIds } from './generate.mjs';

const DAY_MS = 86_400_000;
const REFRESH_MS = 60_000;
const date = t => new Date(t).toISOString().slice(0, 10);

/** mulberry32: the same users on every run. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The requests each view makes when it opens or refreshes. */
function views(clusterId, serviceId) {
  const entity = `/entities/default/component/${serviceId}`;
  const now = Date.now();
  return {
    // ClustersOverview: the cluster cards, the status panel, and the
    // failures and rollbacks of each cluster (RecentProblems).
    overview: [
      '/clusters',
      '/status',
      ...CLUSTERS.flatMap(c =>
        ['FAILED', 'ROLLBACK'].map(
          status => `/clusters/${c}/attempts?status=${status}&limit=50`,
        ),
      ),
    ],
    // ClusterDetailPage: totals with the first page of services, and the
    // first page of attempts.
    cluster: [
      `/clusters/${clusterId}/summary?limit=25&offset=0`,
      `/clusters/${clusterId}/attempts?limit=20`,
    ],
    // The entity's Deployments and Quality tabs (last 30 days).
    service: [
      `${entity}/summary`,
      `${entity}/attempts?limit=20`,
      `${entity}/promotions?limit=20`,
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
  seed = 3,
}) {
  const api = new URL('/api/deployment-quality', baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  const fleet = serviceIds(services);
  const rand = prng(seed);
  const byView = { overview: [], cluster: [], service: [] };
  const errors = new Map();
  const start = performance.now();
  const end = start + seconds * 1000;

  const get = path =>
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
      req.on('error', error =>
        resolve({ status: error.message, ms: performance.now() - t0 }),
      );
    });

  const sleepUntil = t =>
    new Promise(resolve =>
      setTimeout(resolve, Math.max(0, t - performance.now())),
    );

  async function user(index) {
    const clusterId = CLUSTERS[Math.floor(rand() * CLUSTERS.length)];
    const serviceId = fleet[Math.floor(rand() * fleet.length)];
    let at = start + (index / users) * REFRESH_MS;
    while (at < end) {
      await sleepUntil(at);
      const pages = views(clusterId, serviceId);
      for (const view of ['overview', 'cluster', 'service']) {
        if (performance.now() >= end) return;
        const answers = await Promise.all(pages[view].map(get));
        for (const [i, a] of answers.entries()) {
          byView[view].push(a.ms);
          if (a.status !== 200) {
            const key = `${a.status} ${pages[view][i].split('?')[0]}`;
            errors.set(key, (errors.get(key) ?? 0) + 1);
          }
        }
      }
      at += REFRESH_MS;
    }
  }

  await Promise.all(Array.from({ length: users }, (_, i) => user(i)));
  agent.destroy();
  const all = Object.values(byView).flat();
  const elapsed = (performance.now() - start) / 1000;
  return {
    users,
    seconds: Math.round(elapsed),
    requests: all.length,
    rps: all.length / elapsed,
    errors: [...errors.values()].reduce((a, b) => a + b, 0),
    errorKinds: Object.fromEntries(errors),
    overall: summarize(all),
    views: Object.fromEntries(
      Object.entries(byView).map(([view, ms]) => [view, summarize(ms)]),
    ),
  };
}
