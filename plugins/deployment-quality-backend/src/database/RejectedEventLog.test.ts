import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
} from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { testDatabaseIds } from '../__testUtils__/databases';
import { SEES_ALL, Visibility } from '../visibility/Visibility';
import { RejectedEvent, RejectedItem } from './DeploymentQualityStore';
import { KnexDeploymentQualityStore } from './KnexDeploymentQualityStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const rows = async (knex: Knex) =>
  Number((await knex('dq_rejected_events').count({ n: '*' }))[0].n);

/** A refused batch item about `serviceId`, its problem naming its index. */
const item = (i: number, serviceId?: string): RejectedItem => ({
  eventId: `bad-${i}`,
  eventType: 'deployment',
  ...(serviceId ? { serviceId } : {}),
  problems: [{ path: `events[${i}].payload.status`, message: 'invalid' }],
});

const batch = (
  refused: RejectedItem[],
  extra: Partial<Extract<RejectedEvent, { refused: unknown }>> = {},
): RejectedEvent => ({
  receivedAt: '2026-02-24T10:00:00.000Z',
  transport: 'webhook',
  reason: 'invalid-event',
  source: 'ci',
  refused,
  ...extra,
});

const single = (eventId: string): RejectedEvent => ({
  receivedAt: '2026-02-24T10:00:00.000Z',
  transport: 'webhook',
  reason: 'invalid-event',
  eventId,
  problems: [{ path: 'payload.status', message: 'invalid' }],
});

describe.each(databases.eachSupportedId())(
  'rejected events on %p',
  (databaseId: TestDatabaseId) => {
    async function setUp(maxRejectedEvents?: number) {
      const knex = await databases.init(databaseId);
      const store = await KnexDeploymentQualityStore.create({
        database: mockServices.database({ knex }),
        maxRejectedEvents,
      });
      return { knex, store };
    }

    /** Callers who may not see `hidden` (a stored set, as the resolver writes). */
    async function hiding(knex: Knex, ...hidden: string[]) {
      await knex('dq_visibility_sets').insert({
        set_key: 'test-set',
        size: hidden.length,
        used_at: Date.now(),
      });
      await knex('dq_hidden_services').insert(
        hidden.map(service_id => ({ set_key: 'test-set', service_id })),
      );
      return { all: false, hiddenSet: 'test-set' } as Visibility;
    }

    it('records a refused batch once: the body once, its item count, the first problems', async () => {
      const { knex, store } = await setUp();
      const refused = Array.from({ length: 500 }, (_, i) => item(i, 'authn'));
      await store.recordRejected(
        batch(refused, { services: ['authn'], body: 'x'.repeat(20_000) }),
      );

      expect(await rows(knex)).toBe(1);
      const [record] = await store.listRejected({
        limit: 10,
        visibility: SEES_ALL,
      });
      expect(record).toEqual({
        id: expect.any(String),
        receivedAt: '2026-02-24T10:00:00.000Z',
        transport: 'webhook',
        source: 'ci',
        reason: 'invalid-event',
        eventId: 'bad-0',
        eventType: 'deployment',
        serviceId: 'authn',
        items: 500,
        problems: [0, 1, 2, 3, 4].map(i => ({
          path: `events[${i}].payload.status`,
          message: 'invalid',
        })),
        body: 'x'.repeat(16 * 1024),
      });
      await expect(store.countRejectedByReason(SEES_ALL)).resolves.toEqual({
        'invalid-event': 500,
      });
    });

    it('keeps at most 50 problems per record', async () => {
      const { store } = await setUp();
      const many: RejectedItem = {
        problems: Array.from({ length: 80 }, (_, i) => ({
          path: `payload.f${i}`,
          message: 'invalid',
        })),
      };
      await store.recordRejected(batch([many, many]));
      const [record] = await store.listRejected({
        limit: 1,
        visibility: SEES_ALL,
      });
      expect(record.problems).toHaveLength(50);
      expect(record.items).toBe(2);
    });

    it('drops the oldest records beyond the cap and counts the events they covered', async () => {
      const { knex, store } = await setUp(3);
      for (const id of ['a', 'b', 'c']) {
        await expect(store.recordRejected(single(id))).resolves.toEqual({
          dropped: 0,
        });
      }
      // The fourth record pushes out the first, which covered one event.
      await expect(
        store.recordRejected(batch([item(0), item(1), item(2), item(3)])),
      ).resolves.toEqual({ dropped: 1 });
      await store.recordRejected(single('d'));
      await store.recordRejected(single('e'));
      expect(await rows(knex)).toBe(3);
      await expect(store.countDroppedRejected()).resolves.toBe(3);
      // The batch goes next, with its four events.
      await expect(store.recordRejected(single('f'))).resolves.toEqual({
        dropped: 4,
      });
      const kept = await store.listRejected({
        limit: 10,
        visibility: SEES_ALL,
      });
      expect(kept.map(r => r.eventId)).toEqual(['f', 'e', 'd']);
      await expect(store.countDroppedRejected()).resolves.toBe(7);
      await expect(store.countRejectedByReason(SEES_ALL)).resolves.toEqual({
        'invalid-event': 3,
      });
    });

    it('trims a table far over a lowered cap in one go, chunk by chunk', async () => {
      const { knex } = await setUp();
      await knex.batchInsert(
        'dq_rejected_events',
        Array.from({ length: 2500 }, () => ({
          received_at: Date.parse('2026-02-24T10:00:00Z'),
          transport: 'webhook',
          reason: 'invalid-event',
          problems: '[]',
        })),
        100,
      );
      const lowered = await KnexDeploymentQualityStore.create({
        database: mockServices.database({ knex }),
        maxRejectedEvents: 5,
      });
      await expect(lowered.recordRejected(single('new'))).resolves.toEqual({
        dropped: 2496,
      });
      expect(await rows(knex)).toBe(5);
      await expect(lowered.countDroppedRejected()).resolves.toBe(2496);
    });

    it("shows a request naming several services whole only to callers who see them all, each service's part to the others", async () => {
      const { knex, store } = await setUp();
      const hidesBilling = await hiding(knex, 'billing');
      await store.recordRejected(
        batch(
          [
            item(0, 'authn'),
            item(1, 'billing'),
            item(2, 'authn'),
            item(3, 'billing'),
            item(4),
            item(5, 'billing'),
          ],
          // `ledger` had a valid event in the body.
          { services: ['ledger'], body: '{"events":[…billing…]}' },
        ),
      );

      const all = await store.listRejected({ limit: 10, visibility: SEES_ALL });
      expect(all).toEqual([
        expect.objectContaining({
          items: 6,
          eventId: 'bad-0',
          body: '{"events":[…billing…]}',
        }),
      ]);
      expect(all[0].serviceId).toBeUndefined();
      await expect(store.countRejectedByReason(SEES_ALL)).resolves.toEqual({
        'invalid-event': 6,
      });

      // No body (it shows billing's events), nothing about billing.
      const restricted = await store.listRejected({
        limit: 10,
        visibility: hidesBilling,
      });
      expect(
        restricted.map(r => [r.serviceId, r.items, r.eventId, r.body]),
      ).toEqual([
        [undefined, 1, 'bad-4', undefined],
        ['authn', 2, 'bad-0', undefined],
      ]);
      expect(restricted[1].problems.map(p => p.path)).toEqual([
        'events[0].payload.status',
        'events[2].payload.status',
      ]);
      await expect(store.countRejectedByReason(hidesBilling)).resolves.toEqual({
        'invalid-event': 3,
      });
    });

    it('hides a one-service refusal, body and all, from callers who may not see the service', async () => {
      const { knex, store } = await setUp();
      const hidesBilling = await hiding(knex, 'billing');
      await store.recordRejected({ ...single('x'), serviceId: 'billing' });
      // The body names billing though the refused item names no service.
      await store.recordRejected(
        batch([item(0)], { services: ['billing'], body: 'billing' }),
      );
      await store.recordRejected({ ...single('y'), serviceId: 'authn' });
      const seen = await store.listRejected({
        limit: 10,
        visibility: hidesBilling,
      });
      expect(seen.map(r => r.eventId)).toEqual(['y']);
    });

    it('stores at most 11 records for a request naming many services', async () => {
      const { knex, store } = await setUp();
      await store.recordRejected(
        batch(Array.from({ length: 30 }, (_, i) => item(i, `svc-${i % 15}`))),
      );
      expect(await rows(knex)).toBe(11);
      await expect(store.countRejectedByReason(SEES_ALL)).resolves.toEqual({
        'invalid-event': 30,
      });
    });
  },
);
