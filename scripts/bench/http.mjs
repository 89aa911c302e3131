// Webhook ingest against a no-op route of the same backend, both through
// autocannon at the same connection count.
import { log } from '../reliability/harness.mjs';
import { CLUSTERS, serviceIds } from './generate.mjs';
import { httpLoad } from './load.mjs';

/** The webhook key the harness configures. */
const SECRET = 'reliability-secret-0123456789';

/**
 * Valid deployment events, each a new attempt (a new run number), so every
 * request is stored rather than answered as a duplicate.
 */
function distinctDeployments(services) {
  // Existing services of the fleet, as CI jobs report them.
  const SERVICES = serviceIds(services).slice(0, 50);
  let n = 0;
  const runId = Date.now();
  return request => {
    const i = n++;
    const startedAt = Date.now() - 60_000;
    request.body = JSON.stringify({
      source: 'bench',
      eventType: 'deployment',
      eventId: `webhook-${runId}-${i}`,
      payload: {
        clusterId: CLUSTERS[i % CLUSTERS.length],
        serviceId: SERVICES[i % SERVICES.length],
        buildVersion: `9.${runId % 1000}.${i}`,
        gitSha: 'abcdef1',
        status: i % 10 === 0 ? 'FAILED' : 'SUCCESS',
        startedAt: new Date(startedAt).toISOString(),
        endedAt: new Date(startedAt + 30_000).toISOString(),
        commitAt: new Date(startedAt - 3_600_000).toISOString(),
        trigger: 'merge',
        runNumber: i,
      },
    });
    return request;
  };
}

export async function benchHttp({ baseUrl, connections, duration, services }) {
  const webhook = await httpLoad({
    url: `${baseUrl}/api/deployment-quality/ingest/webhook`,
    method: 'POST',
    connections,
    duration,
    headers: { 'content-type': 'application/json', 'x-webhook-secret': SECRET },
    setupRequest: distinctDeployments(services),
    expectStatus: 202,
  });
  const noop = await httpLoad({
    url: `${baseUrl}/.backstage/health/v1/liveness`,
    connections,
    duration,
  });
  log(
    `webhook ${Math.round(webhook.rps)} req/s p50/p99 ${webhook.p50}/${
      webhook.p99
    } ms; no-op ${Math.round(noop.rps)} req/s ${noop.p50}/${noop.p99} ms`,
  );
  return { webhook, noop };
}
