// The two load drivers, reporting the same shape: HTTP through autocannon,
// and a query function called directly at the same concurrency. Results:
// { rps, p50, p99, completed, errors } (latencies in ms).
import autocannon from 'autocannon';

/**
 * autocannon against one URL. The request timeout outlasts the run: a slow
 * route is then measured by the few answers it gives, not cut off at 10 s
 * and re-sent (which would pile more work onto the backend).
 */
export async function httpLoad({
  url,
  connections,
  duration,
  method = 'GET',
  headers = {},
  setupRequest,
  expectStatus = 200,
}) {
  const result = await autocannon({
    url,
    connections,
    duration,
    timeout: duration + 60,
    requests: [{ method, headers, ...(setupRequest ? { setupRequest } : {}) }],
  });
  const ok = result.statusCodeStats?.[expectStatus]?.count ?? 0;
  const others = Object.keys(result.statusCodeStats ?? {}).filter(
    code => Number(code) !== expectStatus,
  );
  return {
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    completed: ok,
    errors: result.errors + result.timeouts + (result.non2xx ?? 0),
    statuses: others,
  };
}

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/**
 * `fn` called by `concurrency` loops for `duration` seconds, at most
 * `pool` at a time, like requests waiting for one of the backend's pool
 * connections: latency counts from the call, queueing included. Calls that
 * get their turn after the end are not made, so only the ones already
 * running have to finish.
 */
export async function directLoad({ fn, concurrency, duration, pool }) {
  const end = performance.now() + duration * 1000;
  const latencies = [];
  let errors = 0;
  let free = pool;
  const waiting = [];
  const acquire = () =>
    free > 0 ? (free--, Promise.resolve()) : new Promise(r => waiting.push(r));
  const release = () => (waiting.length ? waiting.shift()() : free++);
  const loop = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await acquire();
      if (performance.now() >= end) {
        release();
        break;
      }
      try {
        await fn();
        const t1 = performance.now();
        if (t1 < end) latencies.push(t1 - t0);
      } catch (error) {
        errors++;
        if (errors === 1) console.error(`direct query failed: ${error}`);
      } finally {
        release();
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = Math.min(performance.now(), end) - t0;
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / (seconds / 1000),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    completed: latencies.length,
    errors,
  };
}
