// "The same SQL, run directly": the plugin's own read classes (store,
// analytics, DeploymentQueries) over a knex pool, loaded from its
// TypeScript through the Backstage CLI's loader, called as the routes call
// them. Left out is what the backend adds on top (HTTP, auth, request
// validation, permission decisions: the bench's catalog is empty, so every
// service counts as unmapped and visible), which is what the ratio measures.
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

export function directQueries(knex) {
  const { KnexDeploymentQualityStore } = pluginModule(
    'database/KnexDeploymentQualityStore.ts',
  );
  const { KnexAnalytics } = pluginModule('analytics/KnexAnalytics.ts');
  const { KnexScorecard } = pluginModule('analytics/KnexScorecard.ts');
  const { DeploymentQueries } = pluginModule('read/DeploymentQueries.ts');
  // The bench's catalog is empty: no links, every service visible.
  const noEntities = { links: async () => new Map() };
  const queries = new DeploymentQueries(
    new KnexDeploymentQualityStore(knex),
    new KnexAnalytics(knex),
    new KnexScorecard(knex),
    [],
    noEntities,
    async () => {},
  );
  const visibility = { all: true };
  return {
    clusterAttempts: (clusterId, limit, cursor) =>
      queries.listAttempts({ clusterId, limit, cursor }, visibility),
    serviceAttempts: (serviceId, limit) =>
      queries.listAttempts({ serviceId, limit }, visibility),
    clusterSummary: clusterId => queries.clusterSummary(clusterId, visibility),
    analytics: query => queries.analytics(query, { visibility }),
  };
}
