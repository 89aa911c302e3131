import { metrics } from '@opentelemetry/api';
import {
  DataPoint,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { testDatabaseIds } from '../__testUtils__/databases';
import { webhookDeployment } from '../__testUtils__/events';
import { BASE, SECRET } from '../__testUtils__/pluginBackend';
import { deploymentQualityPlugin } from '../plugin';

jest.setTimeout(60_000);

/** Collects on demand, as a Prometheus scrape would. */
class ScrapeReader extends MetricReader {
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

const reader = new ScrapeReader();
const provider = new MeterProvider({ readers: [reader] });

beforeAll(() => {
  // The metrics service takes its meter from the global provider.
  metrics.setGlobalMeterProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  metrics.disable();
});

/** The counter's total so far (every database's backend adds to it). */
async function total(name: string): Promise<number> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap(scope => scope.metrics)
    .filter(m => m.descriptor.name === name)
    .flatMap(m => m.dataPoints as Array<DataPoint<number>>)
    .reduce((sum, p) => sum + p.value, 0);
}

const databases = TestDatabases.create({ ids: testDatabaseIds() });

describe.each(databases.eachSupportedId())(
  'rejected events through the webhook on %p',
  (databaseId: TestDatabaseId) => {
    async function startBackend() {
      const knex = await databases.init(databaseId);
      const backend = await startTestBackend({
        features: [
          deploymentQualityPlugin,
          mockServices.database.factory({ knex }),
          catalogServiceMock.factory({ entities: [] }),
          mockServices.rootConfig.factory({
            data: {
              deploymentQuality: {
                retention: { days: 36500 },
                ingestion: {
                  webhook: { keys: [{ name: 'ci', secret: SECRET }] },
                },
                diagnostics: { maxRejectedEvents: 2 },
              },
            },
          }),
        ],
      });
      return { knex, backend };
    }

    it('stores a refused batch of 500 once, caps the table and counts what it dropped', async () => {
      const { knex, backend } = await startBackend();
      const droppedBefore = await total(
        'deployment_quality.rejected_events.dropped',
      );
      const rejectedBefore = await total('deployment_quality.events.rejected');
      try {
        const send = (body: object) =>
          request(backend.server)
            .post(`${BASE}/ingest/webhook`)
            .set('X-Webhook-Secret', SECRET)
            .send(body);
        // 500 invalid events padded to a body of over 16 KiB.
        const events = Array.from({ length: 500 }, (_, i) =>
          webhookDeployment(
            { status: 'DONE', runNumber: i, failureReason: 'x'.repeat(30) },
            { eventId: `bad-${i}` },
          ),
        );
        const res = await send({ events }).expect(400);
        expect(res.body.results).toHaveLength(500);

        expect(
          Number((await knex('dq_rejected_events').count({ n: '*' }))[0].n),
        ).toBe(1);
        const diagnostics = async () =>
          (
            await request(backend.server)
              .get(`${BASE}/diagnostics/rejected-events`)
              .expect(200)
          ).body;
        const first = await diagnostics();
        expect(first.counts).toEqual({ 'invalid-event': 500 });
        expect(first.dropped).toBe(0);
        expect(first.events).toHaveLength(1);
        expect(first.events[0]).toMatchObject({
          eventId: 'bad-0',
          serviceId: 'authn',
          items: 500,
        });
        expect(first.events[0].body).toHaveLength(16 * 1024);
        expect(first.events[0].problems.map((p: any) => p.path)).toEqual([
          'events[0].payload.status',
          'events[1].payload.status',
          'events[2].payload.status',
          'events[3].payload.status',
          'events[4].payload.status',
        ]);

        // Two more refusals: the cap of 2 drops the batch's record.
        await send(webhookDeployment({ status: 'NOPE' })).expect(400);
        await send(webhookDeployment({ status: 'NOPE' })).expect(400);
        const second = await diagnostics();
        expect(second.counts).toEqual({ 'invalid-event': 2 });
        expect(second.events.map((e: any) => e.items)).toEqual([1, 1]);
        expect(second.dropped).toBe(500);
        expect(
          (await total('deployment_quality.rejected_events.dropped')) -
            droppedBefore,
        ).toBe(500);
        // Refused events are still counted one by one.
        expect(
          (await total('deployment_quality.events.rejected')) - rejectedBefore,
        ).toBe(502);
      } finally {
        await backend.stop();
      }
    });
  },
);
