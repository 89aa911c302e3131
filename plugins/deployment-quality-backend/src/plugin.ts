import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import {
  actionsRegistryServiceRef,
  metricsServiceRef,
} from '@backstage/backend-plugin-api/alpha';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { signalsServiceRef } from '@backstage/plugin-signals-node';
import { deploymentQualityPermissions } from '@deployment-quality/plugin-deployment-quality-common';
import {
  SourceAdapter,
  deploymentQualitySourcesExtensionPoint,
} from '@deployment-quality/plugin-deployment-quality-node';
import { KnexAnalytics } from './analytics/KnexAnalytics';
import { KnexScorecard } from './analytics/KnexScorecard';
import { ClusterValidations } from './database/ClusterValidations';
import { ExternalScorecards } from './database/ExternalScorecards';
import { Costs } from './database/Costs';
import { registerDeploymentQualityActions } from './actions/deploymentQualityActions';
import { readerFor } from './database/sqliteReader';
import { readDeploymentQualityConfig, readVisibilityConfig } from './config';
import { KnexDeploymentQualityStore } from './database/KnexDeploymentQualityStore';
import { EventIngestor, queueSink, storeSink } from './ingestion/EventIngestor';
import { SourceIngestor } from './ingestion/SourceIngestor';
import { readMaxFutureSkewMs } from './ingestion/clockSkew';
import { KeyRateLimiter } from './ingestion/KeyRateLimiter';
import { groupCommitted } from './ingestion/GroupCommit';
import { createSqsClient } from './queue/sqsClient';
import { SqsConsumer } from './queue/SqsConsumer';
import { SqsPublisher } from './queue/SqsPublisher';
import { CatalogIndex } from './visibility/CatalogIndex';
import { VisibilityResolver } from './visibility/VisibilityResolver';
import { DeploymentQueries } from './read/DeploymentQueries';
import {
  DeploymentQualityMetrics,
  meteredStore,
} from './metrics/DeploymentQualityMetrics';
import { requestMetrics } from './metrics/requestMetrics';
import { QueueMonitor } from './queue/QueueMonitor';
import { DeadLetterRedrive } from './queue/deadLetters';
import { readRetentionConfig, Retention } from './retention/Retention';
import { StatusReporter } from './status/StatusReporter';
import { readNotificationConfig } from './notifications/config';
import { LiveUpdates } from './live/LiveUpdates';
import { scheduleNotifications } from './notifications/scheduleNotifications';
import { createRouter } from './service/router';
import { createSourcesRouter } from './service/sourcesRouter';
import { TestCaseStore } from './database/TestCases';
import { Quarantine } from './database/Quarantine';

/**
 * Deployment & Quality backend: ingestion, storage and the REST API.
 *
 * @public
 */
export const deploymentQualityPlugin = createBackendPlugin({
  pluginId: 'deployment-quality',
  register(env) {
    const adapters = new Map<string, SourceAdapter>();
    env.registerExtensionPoint(deploymentQualitySourcesExtensionPoint, {
      addSourceAdapter(...added) {
        for (const adapter of added) {
          // Two modules claiming one route would make deliveries ambiguous.
          if (adapters.has(adapter.id)) {
            throw new Error(
              `A deployment-quality source adapter with id '${adapter.id}' is already registered`,
            );
          }
          adapters.set(adapter.id, adapter);
        }
      },
    });
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        auditor: coreServices.auditor,
        httpRouter: coreServices.httpRouter,
        lifecycle: coreServices.lifecycle,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        metricsService: metricsServiceRef,
        catalog: catalogServiceRef,
        notifications: notificationService,
        signals: signalsServiceRef,
        actionsRegistry: actionsRegistryServiceRef,
      },
      async init({
        config,
        logger,
        database,
        httpAuth,
        auditor,
        httpRouter,
        lifecycle,
        auth,
        permissions,
        permissionsRegistry,
        scheduler,
        metricsService,
        catalog,
        notifications,
        signals,
        actionsRegistry,
      }) {
        permissionsRegistry.addPermissions(deploymentQualityPermissions);
        const dqConfig = readDeploymentQualityConfig(config);
        const retentionConfig = readRetentionConfig(config);
        const notifyConfig = readNotificationConfig(config);
        const metrics = new DeploymentQualityMetrics(metricsService);
        // The webhook and the SQS consumer share transactions (group commit):
        // two at once on PostgreSQL (more only split the same load into
        // smaller transactions, each paying the same round trips), one
        // behind the other on SQLite, whose single connection would only
        // queue them.
        const db = await database.getClient();
        const sqlite = db.client.config.client !== 'pg';
        // On SQLite, reads that grow with the fleet leave the event loop.
        const reads = readerFor(db, {
          threads: config.getOptionalNumber(
            'deploymentQuality.sqlite.readerThreads',
          ),
        });
        if (reads !== db) lifecycle.addShutdownHook(() => reads.destroy());
        const knexStore = await KnexDeploymentQualityStore.create({
          reads,
          database,
          retentionDays: retentionConfig.days,
          maxRejectedEvents: dqConfig.diagnostics.maxRejectedEvents,
          logger: logger.child({ component: 'rollups' }),
          rollups: { onKeyParked: key => metrics.rollupKeyParked(key.kind) },
          notify: notifyConfig.enabled
            ? { settleMs: notifyConfig.rules.gateFailed.settleMs }
            : undefined,
        });
        // What the last writes queued is refreshed before the process ends.
        lifecycle.addShutdownHook(() => knexStore.rollups.settle().then());
        const store = groupCommitted(meteredStore(knexStore, metrics), {
          maxInFlight: sqlite ? 1 : 2,
        });
        const retention = new Retention(
          store,
          logger.child({ component: 'retention' }),
          retentionConfig,
          run => metrics.retention(run.deleted),
        );
        await retention.schedule(scheduler, retentionConfig.schedule);
        const visibilityConfig = readVisibilityConfig(config);
        const index = new CatalogIndex({
          db,
          reads,
          catalog,
          auth,
          logger: logger.child({ component: 'catalog-index' }),
        });
        knexStore.onNewServices(serviceIds => index.link(serviceIds));
        const live = new LiveUpdates(
          signals,
          logger.child({ component: 'live' }),
        );
        knexStore.onClustersChanged(clusterIds => live.changed(clusterIds));
        const access = new VisibilityResolver({
          db,
          permissions,
          catalog,
          index,
          cacheMs: visibilityConfig.cacheMs,
        });
        // One replica at a time reads the catalog; the others see the new
        // generation in the shared table.
        await scheduler.scheduleTask({
          id: 'deployment-quality-catalog-index',
          frequency: visibilityConfig.catalogSync,
          timeout: { minutes: 10 },
          initialDelay: { seconds: 5 },
          scope: 'global',
          fn: async () => {
            await index.sync();
            await access.prune();
          },
        });
        if (dqConfig.webhook.keys.length === 0) {
          logger.warn(
            'No deploymentQuality.ingestion.webhook.keys configured: the webhook rejects every request',
          );
        }

        const sqs = dqConfig.sqs;
        const client = sqs && createSqsClient(sqs);
        const sink = client
          ? queueSink(new SqsPublisher(client, sqs.queueUrl))
          : storeSink(store, logger);
        const testCases = new TestCaseStore(db, reads);
        const quarantine = new Quarantine(
          db,
          reads,
          testCases,
          dqConfig.quarantine,
        );
        const maxFutureSkewMs = readMaxFutureSkewMs(config);
        const ingestor = new EventIngestor(
          sink,
          store,
          logger,
          maxFutureSkewMs,
        );
        const sources = new SourceIngestor({
          adapters: [...adapters.values()],
          config,
          catalog,
          auth,
          ingestor,
          sink,
          logger: logger.child({ component: 'sources' }),
        });
        const queue = client && new QueueMonitor(client, sqs.queueUrl, logger);
        if (queue) {
          metrics.observeQueueDepths(() => ({
            queue: queue.latest.depth,
            dlq: queue.latest.dlqDepth,
          }));
          lifecycle.addStartupHook(() => queue.start());
          lifecycle.addShutdownHook(() => queue.stop());
        }
        let consumer: SqsConsumer | undefined;
        if (client && sqs.consume) {
          consumer = new SqsConsumer({
            client,
            queueUrl: sqs.queueUrl,
            store,
            logger: logger.child({ component: 'sqs-consumer' }),
            waitTimeSeconds: sqs.waitTimeSeconds,
            maxMessages: sqs.maxMessages,
            visibilityTimeoutSeconds: sqs.visibilityTimeoutSeconds,
            pollers: sqs.consumers,
            sources,
            metrics,
            maxFutureSkewMs,
          });
          lifecycle.addStartupHook(() => consumer!.start());
          // In-flight batches are written and deleted before the backend exits.
          lifecycle.addShutdownHook(() => consumer!.stop());
        }

        metrics.observeWorkers({
          consumer:
            consumer &&
            (() => {
              const { state, lastReceiveAt } = consumer!.state;
              return { running: state === 'running', lastReceiveAt };
            }),
          rollups: () => knexStore.rollups.backlog(),
        });
        const status = new StatusReporter({
          db,
          store,
          retentionDays: retentionConfig.days,
          rollups: knexStore.rollups,
          metrics,
          queue,
          consumer,
        });

        // One per replica, shared by the ingest routes: a key has one budget.
        const limiter = new KeyRateLimiter();

        // Before the routers, so it times every request.
        httpRouter.use(requestMetrics(metrics));

        // First: the validated router must not read these routes' raw bodies.
        httpRouter.use(
          createSourcesRouter({
            sources,
            ingestor,
            logger,
            webhook: dqConfig.webhook,
            testReports: dqConfig.testReports,
            testCases,
            limiter,
          }),
        );
        const queries = new DeploymentQueries(
          store,
          new KnexAnalytics(reads, {
            rollups: knexStore.rollups,
            cacheEntries: 256,
            maxStaleMs: dqConfig.analytics.maxStaleSeconds * 1000,
            reworkWindowMinutes: dqConfig.analytics.reworkWindowMinutes,
          }),
          new KnexScorecard(reads, {
            rollups: knexStore.rollups,
            cacheEntries: 64,
            maxStaleMs: dqConfig.analytics.maxStaleSeconds * 1000,
          }),
          new ClusterValidations(reads),
          new ExternalScorecards(reads),
          new Costs(reads),
          dqConfig.clusters,
          index,
          (visibility, serviceId) =>
            access.assertVisible(visibility, serviceId),
          {
            cacheEntries: 512,
            maxStaleMs: dqConfig.analytics.maxStaleSeconds * 1000,
            doraBenchmark: dqConfig.analytics.doraBenchmark,
            quarantine,
            testCases,
          },
        );
        registerDeploymentQualityActions(actionsRegistry, {
          queries,
          access,
          gatePolicy: dqConfig.gates,
          scorecardPolicy: dqConfig.scorecard,
          testCases,
          flakyFlipWindow: dqConfig.testReports.flakyFlipWindow,
        });
        httpRouter.use(
          await createRouter({
            httpAuth,
            logger,
            ingestor,
            store,
            queries,
            testCases,
            quarantine,
            auditor,
            flakyFlipWindow: dqConfig.testReports.flakyFlipWindow,
            access,
            webhook: dqConfig.webhook,
            limiter,
            gatePolicy: dqConfig.gates,
            scorecardPolicy: dqConfig.scorecard,
            status,
            permissions,
            deadLetters: client && new DeadLetterRedrive(client, sqs.queueUrl),
          }),
        );
        await scheduleNotifications({
          config: notifyConfig,
          db,
          store,
          index,
          status,
          notifications,
          scheduler,
          gatePolicy: dqConfig.gates,
          quarantine,
          configuredClusters: dqConfig.clusters,
          logger: logger.child({ component: 'notifications' }),
        });
        // The webhook authenticates with its own keys, not Backstage tokens.
        httpRouter.addAuthPolicy({
          path: '/ingest',
          allow: 'unauthenticated',
        });
        // Readiness probes carry no token.
        httpRouter.addAuthPolicy({
          path: '/health',
          allow: 'unauthenticated',
        });
        // The contract is public: CI authors read it without a login.
        httpRouter.addAuthPolicy({
          path: '/openapi.json',
          allow: 'unauthenticated',
        });
      },
    });
  },
});
