import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { deploymentQualityPermissions } from '@internal/plugin-deployment-quality-common';
import { KnexAnalytics } from './analytics/KnexAnalytics';
import { KnexScorecard } from './analytics/KnexScorecard';
import { readDeploymentQualityConfig } from './config';
import { KnexDeploymentQualityStore } from './database/KnexDeploymentQualityStore';
import { EventIngestor, queueSink, storeSink } from './ingestion/EventIngestor';
import { createSqsClient } from './queue/sqsClient';
import { SqsConsumer } from './queue/SqsConsumer';
import { SqsPublisher } from './queue/SqsPublisher';
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
        lifecycle: coreServices.lifecycle,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        catalog: catalogServiceRef,
      },
      async init({
        config,
        logger,
        database,
        httpAuth,
        httpRouter,
        lifecycle,
        auth,
        permissions,
        permissionsRegistry,
        catalog,
      }) {
        permissionsRegistry.addPermissions(deploymentQualityPermissions);
        const dqConfig = readDeploymentQualityConfig(config);
        const store = await KnexDeploymentQualityStore.create({ database });
        const links = new CatalogLinks(catalog, auth);
        if (dqConfig.webhook.keys.length === 0) {
          logger.warn(
            'No deploymentQuality.ingestion.webhook.keys configured: the webhook rejects every request',
          );
        }

        let sink = storeSink(store);
        const sqs = dqConfig.sqs;
        if (sqs) {
          const client = createSqsClient(sqs);
          sink = queueSink(new SqsPublisher(client, sqs.queueUrl));
          if (sqs.consume) {
            const consumer = new SqsConsumer({
              client,
              queueUrl: sqs.queueUrl,
              store,
              logger: logger.child({ component: 'sqs-consumer' }),
              waitTimeSeconds: sqs.waitTimeSeconds,
              maxMessages: sqs.maxMessages,
              visibilityTimeoutSeconds: sqs.visibilityTimeoutSeconds,
              pollers: sqs.consumers,
            });
            lifecycle.addStartupHook(() => consumer.start());
            // In-flight batches are written and deleted before the backend exits.
            lifecycle.addShutdownHook(() => consumer.stop());
          }
        }

        httpRouter.use(
          await createRouter({
            httpAuth,
            permissions,
            ingestor: new EventIngestor(sink, store, logger),
            store,
            queries: new DeploymentQueries(
              store,
              new KnexAnalytics(await database.getClient()),
              new KnexScorecard(await database.getClient()),
              dqConfig.clusters,
              links,
            ),
            links,
            webhook: dqConfig.webhook,
            gatePolicy: dqConfig.gates,
            scorecardPolicy: dqConfig.scorecard,
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
