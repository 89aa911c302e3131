import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { afterRetention, daysAgo } from '../__testUtils__/retention';
import { BASE, startPluginBackend } from '../__testUtils__/pluginBackend';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const validation = (
  payload: Record<string, unknown>,
  eventId?: string,
): Record<string, unknown> => ({
  source: 'nightly-cron',
  eventType: 'cluster-test-result',
  ...(eventId ? { eventId } : {}),
  payload: {
    clusterId: 'mira-us-west-2',
    suite: 'conformance',
    total: 120,
    passed: 120,
    failed: 0,
    skipped: 0,
    durationSec: 840,
    executedAt: '2026-03-02T02:00:00.000Z',
    ...payload,
  },
});

describe.each(databases.eachSupportedId())(
  'cluster validations (cluster-test-result events) on %p',
  (databaseId: TestDatabaseId) => {
    it('stores a valid one once, refuses an invalid one naming the field, and shows the latest of each suite', async () => {
      const { server, knex, stop, send } = await startPluginBackend(
        databases,
        databaseId,
      );
      try {
        // Valid, then the same event again: one row, the second a duplicate.
        const first = await send(
          validation(
            {
              reportUrl: 'https://ci.example.com/nightly/1',
              labels: { k8s: '1.31', job: 'sonobuoy' },
            },
            'nightly-1',
          ),
        ).expect(202);
        expect(first.body).toMatchObject({ status: 'stored' });
        const again = await send(validation({}, 'nightly-1')).expect(202);
        expect(again.body).toMatchObject({ duplicate: true });
        // Without an id, the same body is the same event.
        const smoke = await send(validation({ suite: 'smoke' })).expect(202);
        expect(smoke.body.duplicate).toBeUndefined();
        const retried = await send(validation({ suite: 'smoke' })).expect(202);
        expect(retried.body).toMatchObject({
          eventId: smoke.body.eventId,
          duplicate: true,
        });
        expect(
          Number(
            (await knex('dq_cluster_test_runs').count({ n: '*' }).first())?.n,
          ),
        ).toBe(2);

        // Invalid: 400 naming each field, nothing stored.
        for (const [payload, path] of [
          [{ suite: '' }, 'payload.suite'],
          [{ clusterId: 'bad/id' }, 'payload.clusterId'],
          [{ passed: 100, failed: 30 }, 'payload.total'],
          [{ total: -1 }, 'payload.total'],
          [{ reportUrl: 'ftp://ci.example.com/report' }, 'payload.reportUrl'],
          [
            {
              labels: Object.fromEntries(
                Array.from({ length: 21 }, (_, i) => [`l${i}`, 'x']),
              ),
            },
            'payload.labels',
          ],
          [{ labels: { 'bad label': 'x' } }, 'payload.labels'],
          [{ executedAt: '2099-01-01T00:00:00.000Z' }, 'payload.executedAt'],
        ] as const) {
          const bad = await send(validation(payload)).expect(400);
          expect(JSON.stringify(bad.body)).toContain(path);
        }
        expect(
          Number(
            (await knex('dq_cluster_test_runs').count({ n: '*' }).first())?.n,
          ),
        ).toBe(2);

        // A failing run newer than the passing one, then an older run that
        // arrives last: the latest stays the newest by executedAt.
        await send(
          validation({
            failed: 3,
            passed: 117,
            executedAt: '2026-03-03T02:00:00.000Z',
          }),
        ).expect(202);
        await send(
          validation({ executedAt: '2026-03-01T02:00:00.000Z' }),
        ).expect(202);

        const res = await request(server)
          .get(`${BASE}/clusters/mira-us-west-2/validations`)
          .expect(200);
        expect(res.body.clusterId).toBe('mira-us-west-2');
        expect(res.body.suites.map((s: any) => s.suite)).toEqual([
          // Failing first.
          'conformance',
          'smoke',
        ]);
        const [conformance, smokeSuite] = res.body.suites;
        expect(conformance.latest).toMatchObject({
          suite: 'conformance',
          total: 120,
          passed: 117,
          failed: 3,
          passRate: 97.5,
          ok: false,
          executedAt: '2026-03-03T02:00:00.000Z',
          labels: {},
        });
        expect(conformance.recent).toEqual([
          {
            executedAt: '2026-03-01T02:00:00.000Z',
            passRate: 100,
            ok: true,
          },
          {
            executedAt: '2026-03-02T02:00:00.000Z',
            passRate: 100,
            ok: true,
          },
          {
            executedAt: '2026-03-03T02:00:00.000Z',
            passRate: 97.5,
            ok: false,
          },
        ]);
        expect(smokeSuite.latest.ok).toBe(true);

        const clusters = await request(server)
          .get(`${BASE}/clusters`)
          .expect(200);
        expect(
          clusters.body.clusters.find((c: any) => c.id === 'mira-us-west-2')
            .validations,
        ).toEqual({ suites: 2, failing: 1 });

        // A cluster known only from its validations is listed and served.
        await send(
          validation({ clusterId: 'lyra-eu-west-1', failed: 0 }),
        ).expect(202);
        const listed = await request(server)
          .get(`${BASE}/clusters`)
          .expect(200);
        expect(
          listed.body.clusters.find((c: any) => c.id === 'lyra-eu-west-1'),
        ).toMatchObject({
          configured: false,
          summary: { services: 0 },
          validations: { suites: 1, failing: 0 },
        });
        await request(server)
          .get(`${BASE}/clusters/nowhere/validations`)
          .expect(404);
      } finally {
        await stop();
      }
    });

    it('charts their pass rate per suite and day in the analytics, of one cluster-region or of all', async () => {
      const { server, stop, send } = await startPluginBackend(
        databases,
        databaseId,
      );
      try {
        const runs: Array<[string, string, string, number, number]> = [
          // cluster, suite, executedAt, passed, total
          ['mira-us-west-2', 'conformance', '2026-03-01T02:00:00Z', 100, 100],
          ['mira-us-west-2', 'conformance', '2026-03-02T02:00:00Z', 90, 100],
          ['mira-us-west-2', 'smoke', '2026-03-02T02:30:00Z', 30, 40],
          ['pavo-eu-west-1', 'conformance', '2026-03-02T02:00:00Z', 290, 300],
          // Outside the window.
          ['mira-us-west-2', 'conformance', '2026-02-20T02:00:00Z', 0, 100],
        ];
        await send({
          events: runs.map(([clusterId, suite, executedAt, passed, total]) =>
            validation({
              clusterId,
              suite,
              executedAt,
              passed,
              total,
              failed: total - passed,
            }),
          ),
        }).expect(202);
        const window = 'from=2026-03-01&to=2026-03-03';
        const mira = await request(server)
          .get(`${BASE}/analytics?clusterId=mira-us-west-2&${window}`)
          .expect(200);
        expect(mira.body.clusterValidationPassRates).toEqual({
          labels: ['2026-03-01', '2026-03-02', '2026-03-03'],
          suites: { conformance: [100, 90, null], smoke: [null, 75, null] },
        });
        const all = await request(server)
          .get(`${BASE}/analytics?${window}`)
          .expect(200);
        // (90 + 290) / (100 + 300) on the second day.
        expect(all.body.clusterValidationPassRates.suites).toEqual({
          conformance: [100, 95, null],
          smoke: [null, 75, null],
        });
        const weekly = await request(server)
          .get(`${BASE}/analytics?${window}&bucket=week`)
          .expect(200);
        // 2026-03-01 is a Sunday: its week began on February 23rd.
        expect(weekly.body.clusterValidationPassRates).toEqual({
          labels: ['2026-02-23', '2026-03-02'],
          suites: { conformance: [100, 95], smoke: [null, 75] },
        });
        // They belong to no service.
        const entity = await request(server)
          .get(`${BASE}/entities/default/component/authentication/analytics`)
          .expect(200);
        expect(entity.body.clusterValidationPassRates.suites).toEqual({});
      } finally {
        await stop();
      }
    });

    it('keeps each suite’s latest run through retention, whatever its age', async () => {
      const { knex, store } = await createTestStore(databases, databaseId);
      for (const [suite, age] of [
        ['conformance', 200],
        ['conformance', 120],
        ['conformance', 10],
        ['smoke', 150],
        ['smoke', 120],
      ] as const) {
        await store.ingest({
          eventId: `${suite}-${age}`,
          eventType: 'cluster-test-result',
          source: 'test',
          receivedAt: daysAgo(age),
          payload: {
            clusterId: 'mira-us-west-2',
            suite,
            total: 10,
            passed: 10,
            failed: 0,
            skipped: 0,
            durationSec: 1,
            executedAt: daysAgo(age),
          },
        });
      }
      const { deleted, kept } = await afterRetention(store, knex, {
        days: 30,
        table: 'dq_cluster_test_runs',
        key: 'suite',
        time: 'executed_at',
      });
      expect(deleted.clusterValidations).toBe(3);
      expect(kept).toEqual([
        // smoke last ran 120 days ago: its latest run stays.
        ['smoke', 120],
        ['conformance', 10],
      ]);
    });
  },
);
