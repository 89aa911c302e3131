// "The same SQL, run directly": the plugin's own read classes (store,
// analytics, DeploymentQueries) over a knex pool, loaded from its
// TypeScript through the Backstage CLI's loader, called as the routes call
// them. Left out is what the backend adds on top (HTTP, auth, request
// validation, permission decisions: the bench's catalog is empty, so every
// service counts as unmapped and visible), which is what the ratio measures.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from '../reliability/harness.mjs';

const pluginDir = join(repoRoot, 'plugins/deployment-quality-backend');
const require = createRequire(join(pluginDir, 'package.json'));

/** The plugin's modules by path under its src/, as TypeScript. */
export function pluginModule(path) {
  require('@backstage/cli-node/config/nodeTransform.cjs');
  return require(join(pluginDir, 'src', path));
}

/**
 * The plugin's read classes over `knex` as the backend wires them: on a
 * SQLite file, through the same reader threads (readerFor). Catalog links
 * come from the plugin's index table (dq_catalog_services), which the
 * backend filled from the bench's catalog. `close()` stops the reader.
 */
export function directQueries(knex) {
  const { KnexDeploymentQualityStore } = pluginModule(
    'database/KnexDeploymentQualityStore.ts',
  );
  const { KnexAnalytics } = pluginModule('analytics/KnexAnalytics.ts');
  const { KnexScorecard } = pluginModule('analytics/KnexScorecard.ts');
  const { ClusterValidations } = pluginModule('database/ClusterValidations.ts');
  const { ExternalScorecards } = pluginModule('database/ExternalScorecards.ts');
  const { Costs } = pluginModule('database/Costs.ts');
  const { DeploymentQueries } = pluginModule('read/DeploymentQueries.ts');
  const { readerFor } = pluginModule('database/sqliteReader.ts');
  const { chunks } = pluginModule('database/chunks.ts');
  const reads = readerFor(knex);
  const index = {
    generation: async () => 0,
    async links(serviceIds) {
      const links = new Map();
      for (const chunk of chunks([...new Set(serviceIds)], 500)) {
        const rows = await reads('dq_catalog_services')
          .whereIn('service_id', chunk)
          .select('service_id', 'entity_ref', 'title');
        for (const r of rows)
          links.set(r.service_id, { entityRef: r.entity_ref, title: r.title });
      }
      return links;
    },
  };
  const queries = new DeploymentQueries(
    new KnexDeploymentQualityStore(
      knex,
      undefined,
      undefined,
      undefined,
      reads,
    ),
    new KnexAnalytics(reads),
    new KnexScorecard(reads),
    new ClusterValidations(reads),
    new ExternalScorecards(reads),
    new Costs(reads),
    [],
    index,
    async () => {},
  );
  // The bench's caller may read everything (no permission policy).
  const visibility = { all: true };
  const policy =
    require('@deployment-quality/plugin-deployment-quality-common').DEFAULT_SCORECARD_POLICY;
  return {
    clusters: () => queries.listClusters(visibility),
    services: page => queries.listServices(visibility, { offset: 0, ...page }),
    clusterAttempts: (clusterId, limit, cursor, status) =>
      queries.listAttempts({ clusterId, limit, cursor, status }, visibility),
    serviceAttempts: (serviceId, limit) =>
      queries.listAttempts({ serviceId, limit }, visibility),
    clusterSummary: (clusterId, limit) =>
      queries.clusterSummary(clusterId, visibility, { limit, offset: 0 }),
    analytics: query => queries.analytics(query, { visibility }),
    scorecard: query => queries.scorecard(query, policy, visibility),
    entitySummary: serviceId =>
      queries.entitySummary(`component:default/${serviceId}`, serviceId),
    entityAttempts: (serviceId, limit) =>
      queries.listEntityAttempts({ serviceId, limit }),
    entityAnalytics: query => queries.analytics(query, { fromEntity: true }),
    close: () => (reads === knex ? undefined : reads.destroy()),
  };
}

/**
 * p50 / p99 / max of `n` sequential runs of `fn`, and the event loop's
 * longest stall meanwhile, as one line.
 */
export async function timed(n, fn) {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  loop.disable();
  ms.sort((a, b) => a - b);
  const at = q => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  return `p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${ms[
    ms.length - 1
  ].toFixed(1)} ms; event loop max ${(loop.max / 1e6).toFixed(0)} ms`;
}
