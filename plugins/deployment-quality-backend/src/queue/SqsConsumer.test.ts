import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
} from '@backstage/backend-test-utils';
import { EventEnvelope } from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { DeploymentQualityStore } from '../database/DeploymentQualityStore';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { deploymentEvent, testResultEvent } from '../__testUtils__/events';
import { LocalSqs, eventually, startLocalSqs } from '../__testUtils__/localSqs';
import { POISON_SERVICE, poisonDatabase } from '../__testUtils__/poison';
import { SqsConsumer } from './SqsConsumer';
import { SEES_ALL } from '../visibility/Visibility';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const count = async (knex: Knex, table: string) =>
  Number((await knex(table).count({ n: '*' }))[0].n);

describe.each(databases.eachSupportedId())(
  'SqsConsumer on %p',
  (databaseId: TestDatabaseId) => {
    let sqs: LocalSqs | undefined;
    let consumer: SqsConsumer | undefined;

    afterEach(async () => {
      await consumer?.stop();
      await sqs?.stop();
      consumer = undefined;
      sqs = undefined;
    });

    async function setUp(
      options: {
        visibility?: number;
        maxReceive?: number;
        wrap?: (store: DeploymentQualityStore) => DeploymentQualityStore;
      } = {},
    ) {
      const { knex, store: real } = await createTestStore(
        databases,
        databaseId,
      );
      const store = options.wrap ? options.wrap(real) : real;
      const logger = mockServices.logger.mock();
      sqs = await startLocalSqs({
        visibility: options.visibility ?? 30,
        maxReceive: options.maxReceive,
      });
      consumer = new SqsConsumer({
        client: sqs.client,
        queueUrl: sqs.queueUrl,
        store,
        logger,
        waitTimeSeconds: 1,
        maxMessages: 10,
        visibilityTimeoutSeconds: options.visibility ?? 30,
        pollers: 2,
        minBackoffMs: 50,
        maxBackoffMs: 200,
      });
      return { knex, store: real, sqs, consumer, logger };
    }

    /** What the consumer logged when it backed off. */
    const backOffs = (logger: ReturnType<typeof mockServices.logger.mock>) =>
      logger.warn.mock.calls
        .map(([message]) => String(message))
        .filter(message => message.includes('backing off'));

    const envelopes = (n: number): EventEnvelope[] =>
      Array.from({ length: n }, (_, i) =>
        i % 2
          ? testResultEvent({ executedAt: `2026-02-24T09:${10 + i}:00.000Z` })
          : deploymentEvent({ runNumber: i }),
      );

    it('stores every message once and deletes it', async () => {
      const { knex, sqs: q, consumer: c } = await setUp();
      const events = envelopes(25);
      // The same envelopes twice: redelivery must not double-count.
      await q.send(
        [...events, ...events.slice(0, 5)].map(e => JSON.stringify(e)),
      );
      c.start();
      await eventually(async () => (await q.depth(q.queueUrl)) === 0);
      expect(await count(knex, 'dq_ingested_events')).toBe(25);
      expect(await count(knex, 'dq_attempts')).toBe(13);
      expect(await count(knex, 'dq_test_runs')).toBe(12);
    });

    it('accepts an envelope without eventId and receivedAt, as CI may send it', async () => {
      const { knex, sqs: q, consumer: c } = await setUp();
      const { eventId, receivedAt, ...bare } = deploymentEvent();
      await q.send([JSON.stringify(bare), JSON.stringify(bare)]);
      c.start();
      await eventually(async () => (await q.depth(q.queueUrl)) === 0);
      const rows = await knex('dq_ingested_events').select('event_id');
      expect(rows).toHaveLength(1);
      expect(rows[0].event_id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('records poison messages as rejected and stores the rest of the batch', async () => {
      const { knex, store, sqs: q, consumer: c } = await setUp();
      await q.send([
        JSON.stringify(deploymentEvent({ runNumber: 1 })),
        '{ not json',
        JSON.stringify({ ...deploymentEvent(), eventType: 'nonsense' }),
        JSON.stringify(
          deploymentEvent({ runNumber: 2, status: 'DONE' as any }),
        ),
        JSON.stringify(deploymentEvent({ runNumber: 3 })),
      ]);
      c.start();
      await eventually(async () => (await q.depth(q.queueUrl)) === 0);
      expect(await count(knex, 'dq_attempts')).toBe(2);
      await expect(store.countRejectedByReason(SEES_ALL)).resolves.toEqual({
        'malformed-json': 1,
        'invalid-envelope': 2,
      });
      const rejected = await store.listRejected({
        limit: 10,
        visibility: SEES_ALL,
      });
      expect(rejected.map(r => r.problems[0].path).sort()).toEqual([
        '(root)',
        'eventType',
        'payload.status',
      ]);
      expect(rejected.every(r => r.transport === 'sqs')).toBe(true);
    });

    it('leaves a message whose write fails for redelivery, backing off, then the DLQ after 3 receives', async () => {
      let attempts = 0;
      const {
        knex,
        sqs: q,
        consumer: c,
        logger,
      } = await setUp({
        visibility: 1,
        wrap: store => ({
          ...bind(store),
          ingestBatch: async () => {
            attempts++;
            throw Object.assign(new Error('connect ECONNREFUSED'), {
              code: 'ECONNREFUSED',
            });
          },
        }),
      });
      await q.send([JSON.stringify(deploymentEvent())]);
      c.start();
      await eventually(async () => (await q.depth(q.dlqUrl)) === 1, 30_000);
      expect(await q.depth(q.queueUrl)).toBe(0);
      expect(attempts).toBe(3);
      expect(await count(knex, 'dq_ingested_events')).toBe(0);
      expect(c.state.failedWrites).toBe(3);
      expect(backOffs(logger)).toHaveLength(3);
    });

    it('sends an event the database refuses to the DLQ, storing the rest once and never backing off', async () => {
      const {
        knex,
        sqs: q,
        consumer: c,
        logger,
      } = await setUp({ visibility: 1, maxReceive: 2 });
      await poisonDatabase(knex);
      const good = envelopes(40);
      const poison = deploymentEvent({ serviceId: POISON_SERVICE });
      await q.send(
        [...good.slice(0, 5), poison, ...good.slice(5)].map(e =>
          JSON.stringify(e),
        ),
      );
      c.start();
      // Within a receive or two: the poisoned message doesn't slow the rest.
      await eventually(
        async () => (await count(knex, 'dq_ingested_events')) === 40,
        5_000,
      );
      await eventually(async () => (await q.depth(q.dlqUrl)) === 1, 20_000);
      expect(await q.depth(q.queueUrl)).toBe(0);
      expect(await count(knex, 'dq_ingested_events')).toBe(40);
      expect(
        await knex('dq_ingested_events').where('event_id', poison.eventId),
      ).toEqual([]);
      // Received twice (maxReceiveCount 2), refused both times, alone.
      expect(c.state.failedWrites).toBe(2);
      expect(backOffs(logger)).toEqual([]);
      expect(c.state.state).toBe('running');
    });

    it('finishes the in-flight batch on stop: nothing lost, nothing left undeleted', async () => {
      let release: () => void = () => {};
      const gate = new Promise<void>(r => {
        release = r;
      });
      let entered: () => void = () => {};
      const inBatch = new Promise<void>(r => {
        entered = r;
      });
      const {
        knex,
        sqs: q,
        consumer: c,
      } = await setUp({
        wrap: store => ({
          ...bind(store),
          ingestBatch: async events => {
            entered();
            await gate;
            return store.ingestBatch(events);
          },
        }),
      });
      await q.send(envelopes(10).map(e => JSON.stringify(e)));
      c.start();
      await inBatch;
      const stopped = c.stop();
      setTimeout(release, 300);
      await stopped;
      const stored = await count(knex, 'dq_ingested_events');
      // Whatever was received was written and deleted; the rest is still queued.
      expect(stored).toBeGreaterThan(0);
      expect(stored + (await q.depth(q.queueUrl))).toBe(10);
      expect(c.state.state).toBe('stopped');
    });
  },
);

/** The store's methods bound to it, so a test can override some. */
function bind(store: DeploymentQualityStore): DeploymentQualityStore {
  const proto = Object.getPrototypeOf(store);
  return Object.fromEntries(
    Object.getOwnPropertyNames(proto)
      .filter(
        k => k !== 'constructor' && typeof (store as any)[k] === 'function',
      )
      .map(k => [k, (store as any)[k].bind(store)]),
  ) as unknown as DeploymentQualityStore;
}
