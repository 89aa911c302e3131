import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { readDeploymentQualityConfig } from './config';
import { KnexDeploymentQualityStore } from './database/KnexDeploymentQualityStore';
import { EventIngestor } from './ingestion/EventIngestor';
import { CatalogLinks } from './read/catalogLinks';
import { DeploymentQueries } from './read/DeploymentQueries';
import { createRouter } from './service/router';

/**
 * Deployment & Quality backend: ingestion, storage and the REST API.
 *
 * @public
 */
export const deploymentQualityPlugin = createBackendPlugin({
  pluginId: 'deployment-quality',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        catalog: catalogServiceRef,
      },
      async init({ config, logger, database, httpAuth, httpRouter, catalog }) {
        const dqConfig = readDeploymentQualityConfig(config);
        const store = await KnexDeploymentQualityStore.create({ database });
        const links = new CatalogLinks(catalog);
        if (dqConfig.webhook.keys.length === 0) {
          logger.warn(
            'No deploymentQuality.ingestion.webhook.keys configured: the webhook rejects every request',
          );
        }
        httpRouter.use(
          await createRouter({
            httpAuth,
            logger,
            ingestor: new EventIngestor(store, logger),
            queries: new DeploymentQueries(store, dqConfig.clusters, links),
            links,
            webhook: dqConfig.webhook,
          }),
        );
        // The webhook authenticates with its own keys, not Backstage tokens.
        httpRouter.addAuthPolicy({
          path: '/ingest',
          allow: 'unauthenticated',
        });
      },
    });
  },
});
