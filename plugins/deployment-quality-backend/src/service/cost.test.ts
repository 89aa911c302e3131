import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { afterRetention, daysAgo } from '../__testUtils__/retention';
import { webhookDeployment } from '../__testUtils__/events';
import { BASE, startPluginBackend } from '../__testUtils__/pluginBackend';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const cost = (
  payload: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  source: 'finops-job',
  eventType: 'cost',
  ...extra,
  payload: {
    serviceId: 'authn',
    clusterId: 'mira-us-west-2',
    date: '2026-02-20',
    amount: 10,
    currency: 'USD',
    ...payload,
  },
});

const ENTITY = `${BASE}/entities/default/component/authentication`;
const WINDOW = 'from=2026-02-01&to=2026-02-28';

describe.each(databases.eachSupportedId())(
  'cost (cost events) on %p',
  (databaseId: TestDatabaseId) => {
    it('stores a valid figure once, refuses an invalid one naming the field, and a later figure replaces it', async () => {
      const { server, knex, stop, send } = await startPluginBackend(
        databases,
        databaseId,
      );
      const rows = () =>
        knex('dq_costs').select('amount_micro', 'estimated', 'source');
      try {
        const first = await send(
          cost({ amount: 99.5, estimated: true }, { eventId: 'c-1' }),
        ).expect(202);
        expect(first.body).toMatchObject({ status: 'stored' });
        const again = await send(
          cost({ amount: 99.5, estimated: true }, { eventId: 'c-1' }),
        ).expect(202);
        expect(again.body).toMatchObject({ duplicate: true });
        // The same body without an id: the id derived from it repeats too.
        await send(cost({ amount: 1 })).expect(202);
        const sameBody = await send(cost({ amount: 1 })).expect(202);
        expect(sameBody.body).toMatchObject({ duplicate: true });

        for (const [payload, path] of [
          [{ date: '2026-02-30' }, 'payload.date'],
          [{ date: '2026-02-20T00:00:00Z' }, 'payload.date'],
          [{ date: '2099-01-01' }, 'payload.date'],
          [{ currency: 'usd' }, 'payload.currency'],
          [{ currency: undefined }, 'payload.currency'],
          [{ amount: 1_000_000_001 }, 'payload.amount'],
          [{ amount: '12.5' }, 'payload.amount'],
          [{ serviceId: 'bad/id' }, 'payload.serviceId'],
          [{ clusterId: undefined }, 'payload.clusterId'],
        ] as const) {
          const bad = await send(cost(payload)).expect(400);
          expect(JSON.stringify(bad.body)).toContain(path);
        }

        // Restated: the later figure of the same source replaces the
        // estimate; another source's figure adds up beside it.
        await send(cost({ amount: 10.25, estimated: false })).expect(202);
        await send(
          cost({ amount: 1.5 }, { source: 'kubecost', eventId: 'kc-1' }),
        ).expect(202);
        expect(
          (await rows()).map(r => [
            r.source,
            Number(r.amount_micro),
            Boolean(r.estimated),
          ]),
        ).toEqual(
          expect.arrayContaining([
            ['finops-job', 10_250_000, false],
            ['kubecost', 1_500_000, false],
          ]),
        );
        expect(await rows()).toHaveLength(2);

        const res = await request(server)
          .get(`${ENTITY}/cost?${WINDOW}`)
          .expect(200);
        expect(res.body.currencies).toEqual([
          expect.objectContaining({
            currency: 'USD',
            total: 11.75,
            days: [{ date: '2026-02-20', amount: 11.75, estimated: false }],
          }),
        ]);
      } finally {
        await stop();
      }
    });

    it('answers per day, per cluster-region or service, per successful deployment, and around a deployment', async () => {
      // Fleet answers recomputed as soon as the data moved: the cluster's
      // cost below is read again after a write.
      const backend = await startPluginBackend(databases, databaseId, {
        config: { analytics: { maxStaleSeconds: 0 } },
      });
      const { server, stop } = backend;
      const send = (body: unknown) => backend.send(body).expect(202);
      try {
        // Succeeded 2026-02-24T09:10Z on mira-us-west-2.
        await send(webhookDeployment());
        const figures: Array<[string, string, number, string?]> = [
          // Seven days before at 10, the day itself at 50 (in neither
          // side), three days after at 13.
          ...['17', '18', '19', '20', '21', '22', '23'].map(
            d =>
              [`2026-02-${d}`, 'mira-us-west-2', 10] as [
                string,
                string,
                number,
              ],
          ),
          ['2026-02-24', 'mira-us-west-2', 50],
          ['2026-02-25', 'mira-us-west-2', 13],
          ['2026-02-26', 'mira-us-west-2', 13],
          ['2026-02-27', 'mira-us-west-2', 13],
          ['2026-02-20', 'other-eu-west-1', 5],
          ['2026-02-21', 'other-eu-west-1', 7, 'EUR'],
          // Outside the window.
          ['2026-01-10', 'mira-us-west-2', 1000],
        ];
        await send({
          events: figures.map(([date, clusterId, amount, currency]) =>
            cost({ date, clusterId, amount, currency: currency ?? 'USD' }),
          ),
        });
        // Another source's figure for a day before the deployment.
        await send(cost({ amount: 1.5 }, { source: 'kubecost' }));
        // Another service on the cluster, deployed on the window's last
        // day with a cost: no figures after it yet.
        await send(cost({ serviceId: 'billing', amount: 2 }));
        await send(
          webhookDeployment({
            serviceId: 'billing',
            startedAt: '2026-02-27T09:00:00Z',
            endedAt: '2026-02-27T09:10:00Z',
          }),
        );
        await send(
          cost({ serviceId: 'billing', amount: 3, date: '2026-02-26' }),
        );

        const res = await request(server)
          .get(`${ENTITY}/cost?${WINDOW}`)
          .expect(200);
        expect(res.body.filter).toEqual({
          serviceId: 'authn',
          from: '2026-02-01T00:00:00.000Z',
          to: '2026-03-01T00:00:00.000Z',
          compareDays: 7,
        });
        expect(res.body.successfulDeployments).toBe(1);
        const [eur, usd] = res.body.currencies;
        // 7 × 10 + 1.5 + 50 + 3 × 13 on mira, 5 on other.
        expect(usd.total).toBe(165.5);
        expect(usd.perSuccessfulDeployment).toBe(165.5);
        expect(usd.breakdown).toEqual([
          { id: 'mira-us-west-2', amount: 160.5 },
          { id: 'other-eu-west-1', amount: 5 },
        ]);
        expect(usd.breakdownCount).toBe(2);
        expect(usd.days.find((d: any) => d.date === '2026-02-20')).toEqual({
          date: '2026-02-20',
          amount: 16.5,
          estimated: false,
        });
        expect(usd.days).toHaveLength(11);
        expect(eur).toMatchObject({
          currency: 'EUR',
          total: 7,
          breakdown: [{ id: 'other-eu-west-1', amount: 7 }],
        });
        expect(res.body.deployments).toEqual([
          {
            attemptId: 'mira-us-west-2:authn:3.4.3:7',
            serviceId: 'authn',
            clusterId: 'mira-us-west-2',
            buildVersion: '3.4.3',
            deployedAt: '2026-02-24T09:10:00.000Z',
            currency: 'USD',
            // (7 × 10 + 1.5) / 7, to a millionth.
            before: { days: 7, dailyMean: 10.214286 },
            after: { days: 3, dailyMean: 13 },
            change: 2.785714,
            changePercent: 27.3,
            overlapped: false,
          },
        ]);

        const shorter = await request(server)
          .get(`${ENTITY}/cost?${WINDOW}&compareDays=2`)
          .expect(200);
        expect(shorter.body.deployments[0]).toMatchObject({
          before: { days: 2, dailyMean: 10 },
          after: { days: 2, dailyMean: 13 },
          change: 3,
          changePercent: 30,
        });

        const cluster = await request(server)
          .get(`${BASE}/clusters/mira-us-west-2/cost?${WINDOW}`)
          .expect(200);
        expect(cluster.body.successfulDeployments).toBe(2);
        expect(cluster.body.currencies).toEqual([
          expect.objectContaining({
            currency: 'USD',
            total: 165.5,
            breakdown: [
              { id: 'authn', amount: 160.5 },
              { id: 'billing', amount: 5 },
            ],
            perSuccessfulDeployment: 82.75,
          }),
        ]);
        // A new figure moves the cached cluster answer.
        await send(
          cost({ serviceId: 'billing', amount: 4, date: '2026-02-21' }),
        );
        const moved = await request(server)
          .get(`${BASE}/clusters/mira-us-west-2/cost?${WINDOW}`)
          .expect(200);
        expect(moved.body.currencies[0].total).toBe(169.5);
        // billing's release has no day with figures after it yet.
        expect(cluster.body.deployments.map((d: any) => d.serviceId)).toEqual([
          'authn',
        ]);
        // A cluster known only from its costs is a cluster; others 404.
        await request(server)
          .get(`${BASE}/clusters/other-eu-west-1/cost?${WINDOW}`)
          .expect(200);
        await request(server).get(`${BASE}/clusters/nowhere/cost`).expect(404);
        await request(server).get(`${ENTITY}/cost?compareDays=31`).expect(400);
        await request(server)
          .get(`${BASE}/entities/default/component/ghost/cost`)
          .expect(404);
      } finally {
        await stop();
      }
    });

    it('keeps the later-received figure whatever the order it arrives in', async () => {
      const results: number[][] = [];
      for (const order of [
        [0, 1],
        [1, 0],
      ]) {
        const { knex, store } = await createTestStore(databases, databaseId);
        const figures = [
          { receivedAt: '2026-02-21T06:00:00.000Z', amount: 99 },
          { receivedAt: '2026-02-22T06:00:00.000Z', amount: 12.5 },
        ];
        for (const i of order) {
          await store.ingest({
            eventId: `fig-${i}`,
            eventType: 'cost',
            source: 'aws-cost-explorer',
            receivedAt: figures[i].receivedAt,
            payload: {
              serviceId: 'authn',
              clusterId: 'mira-us-west-2',
              date: '2026-02-20',
              amount: figures[i].amount,
              currency: 'USD',
            },
          });
        }
        results.push(
          (await knex('dq_costs').pluck('amount_micro')).map(Number),
        );
      }
      expect(results).toEqual([[12_500_000], [12_500_000]]);
    });

    it('deletes figures of days before the retention window', async () => {
      const { knex, store } = await createTestStore(databases, databaseId);
      for (const age of [200, 31, 5]) {
        await store.ingest({
          eventId: `cost-${age}`,
          eventType: 'cost',
          source: 'test',
          receivedAt: daysAgo(0),
          payload: {
            serviceId: 'authn',
            clusterId: 'mira-us-west-2',
            date: daysAgo(age).slice(0, 10),
            amount: age,
            currency: 'USD',
          },
        });
      }
      const { deleted, kept } = await afterRetention(store, knex, {
        days: 30,
        table: 'dq_costs',
        key: 'amount_micro',
        time: 'day',
      });
      expect(deleted.costs).toBe(2);
      expect(kept.map(([amount]) => Number(amount))).toEqual([5_000_000]);
    });
  },
);
