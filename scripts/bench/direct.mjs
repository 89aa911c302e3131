// "The same SQL, run directly": the plugin's own read classes (store,
// analytics, DeploymentQueries) over a knex pool, loaded from its
// TypeScript through the Backstage CLI's loader, called as the routes call
// them. Left out is what the backend adds on top (HTTP, auth, request
// validation, catalog lookups: the bench's catalog is empty, so every
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
  const noEntities = {
    visibility: async () => ({ links: new Map(), hidden: new Set() }),
    assertVisible: async () => {},
  };
  const queries = new DeploymentQueries(
    new KnexDeploymentQualityStore(knex),
    new KnexAnalytics(knex),
    new KnexScorecard(knex),
    [],
    noEntities,
  );
  const credentials = { $$type: '@backstage/BackstageCredentials' };
  return {
    clusterAttempts: (clusterId, limit, cursor) =>
      queries.listAttempts({ clusterId, limit, cursor }, credentials),
    serviceAttempts: (serviceId, limit) =>
      queries.listAttempts({ serviceId, limit }, credentials),
    clusterSummary: clusterId => queries.clusterSummary(clusterId, credentials),
    analytics: query => queries.analytics(query, { credentials }),
  };
}
