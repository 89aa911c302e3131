import { metrics } from '@opentelemetry/api';
import {
  DataPoint,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import request from 'supertest';
import { deploymentQualityPlugin } from '../plugin';
import { webhookDeployment } from '../__testUtils__/events';
import { POISON_SERVICE, poisonDatabase } from '../__testUtils__/poison';

/** Collects on demand, as a Prometheus scrape would. */
class ScrapeReader extends MetricReader {
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

const reader = new ScrapeReader();
const provider = new MeterProvider({ readers: [reader] });

beforeAll(() => {
  // Backstage's metrics service takes its meter from the global provider
  // when the plugin starts, as in a backend with an OpenTelemetry SDK.
  metrics.setGlobalMeterProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  metrics.disable();
});

async function points(
  name: string,
): Promise<Array<DataPoint<number | { count: number }>>> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap(scope => scope.metrics)
    .filter(m => m.descriptor.name === name)
    .flatMap(m => m.dataPoints as Array<DataPoint<any>>);
}

const SECRET = 'metrics-secret-0123456789';
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

async function startBackend(knex: Knex) {
  const backend = await startTestBackend({
    features: [
      deploymentQualityPlugin,
      mockServices.database.factory({ knex }),
      catalogServiceMock.factory({ entities: [] }),
      mockServices.rootConfig.factory({
        data: {
          deploymentQuality: {
            retention: { days: 36500 },
            ingestion: { webhook: { keys: [{ name: 'ci', secret: SECRET }] } },
          },
        },
      }),
    ],
  });
  const send = (body: unknown) =>
    request(backend.server)
      .post('/api/deployment-quality/ingest/webhook')
      .set('X-Webhook-Secret', SECRET)
      .send(body as object);
  return { backend, server: backend.server, send };
}

it('counts ingested and rejected events, ingest lag and request latency per route', async () => {
  const knex = await databases.init('SQLITE_3');
  const { backend, server, send } = await startBackend(knex);
  try {
    const event = webhookDeployment({}, { eventId: 'metered-1' });
    await send(event).expect(202);
    await send(event).expect(202);
    await send(webhookDeployment({ status: 'DONE' })).expect(400);
    await request(server).get('/api/deployment-quality/clusters').expect(200);

    const ingested = await points('deployment_quality.events.ingested');
    expect(
      ingested.map(p => ({ attributes: p.attributes, value: p.value })),
    ).toEqual(
      expect.arrayContaining([
        {
          attributes: {
            event_type: 'deployment',
            source: 'github-actions',
            result: 'stored',
          },
          value: 1,
        },
        {
          attributes: {
            event_type: 'deployment',
            source: 'github-actions',
            result: 'duplicate',
          },
          value: 1,
        },
      ]),
    );
    const rejected = await points('deployment_quality.events.rejected');
    expect(rejected.map(p => [p.attributes, p.value])).toEqual([
      [{ reason: 'invalid-event', transport: 'webhook' }, 1],
    ]);
    const lag = await points('deployment_quality.ingest.lag');
    expect(lag.map(p => (p.value as { count: number }).count)).toEqual([1]);
    const api = await points('deployment_quality.api.duration');
    expect(api.map(p => p.attributes)).toEqual(
      expect.arrayContaining([
        { route: '/clusters', method: 'GET', status: 200 },
        { route: '/ingest/webhook', method: 'POST', status: 202 },
      ]),
    );
  } finally {
    await backend.stop();
  }
});

it('counts the events the database refused, apart from those it stored', async () => {
  const knex = await databases.init('SQLITE_3');
  const { backend, send } = await startBackend(knex);
  try {
    await poisonDatabase(knex);
    await send({
      events: [
        webhookDeployment({ runNumber: 1 }),
        webhookDeployment({ runNumber: 2, serviceId: POISON_SERVICE }),
      ],
    }).expect(202);
    const failed = await points('deployment_quality.events.failed');
    expect(failed.map(p => [p.attributes, p.value])).toEqual([
      [{ event_type: 'deployment', source: 'github-actions' }, 1],
    ]);
  } finally {
    await backend.stop();
  }
});
