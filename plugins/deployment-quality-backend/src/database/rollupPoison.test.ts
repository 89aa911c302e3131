import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Knex } from 'knex';
import request from 'supertest';
import { KnexAnalytics } from '../analytics/KnexAnalytics';
import { DAY_MS, resolveWindow } from '../analytics/window';
import { testDatabaseIds } from '../__testUtils__/databases';
import { serviceEntity } from '../__testUtils__/entities';
import { deploymentEvent, testResultEvent } from '../__testUtils__/events';
import { deploymentQualityPlugin } from '../plugin';
import { StatusReporter } from '../status/StatusReporter';
import { KnexDeploymentQualityStore } from './KnexDeploymentQualityStore';
import { ParkedKey } from './rollupQueue';
import { RollupRefresher, ensureRollups } from './rollups';
import { rollupRows } from '../__testUtils__/rollups';

// Data stored before the bounds (or a future bug) whose sums overflow made
// every rollup refresh fail: analytics answered 500 for everyone, and the
// store settles the rollups when it starts, so the backend could no longer
// restart. A key whose refresh fails is now parked alone, with a back-off.

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const CLUSTER = 'mira-us-west-2';
/** The poisoned day, and its key's label. */
const POISON_END = Date.parse('2026-02-20T10:00:00.000Z');
const POISON_DAY = Math.floor(POISON_END / DAY_MS);
/** 2⁶²: two of them overflow a 64-bit sum, on both databases. */
const HUGE = '4611686018427387904';

/** Collects metrics on demand, as a Prometheus scrape would. */
class ScrapeReader extends MetricReader {
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

const count = async (knex: Knex, table: string) =>
  Number((await knex(table).count({ n: '*' }))[0].n);

/** Billing's history: three deploys and a test run, on three days. */
const billing = (day: number) => [
  deploymentEvent({
    serviceId: 'billing',
    runNumber: day,
    startedAt: `2026-02-2${day}T09:00:00.000Z`,
    endedAt: `2026-02-2${day}T09:10:00.000Z`,
  }),
  testResultEvent({
    attemptId: `${CLUSTER}:billing:3.4.2:${day}`,
    executedAt: `2026-02-2${day}T09:12:00.000Z`,
  }),
];

/**
 * Rows no validation lets in any more, written straight to the tables as
 * data from before the bounds would be, and their keys queued as a write
 * would have. Two attempts whose lead times (from a commit at −2⁶² ms) sum
 * past 2⁶³ on both databases; on SQLite also two test runs counting 2⁶²
 * tests each (PostgreSQL's 32-bit count columns can't even hold one — why
 * counts are bounded to 10⁹).
 */
async function poison(knex: Knex, databaseId: TestDatabaseId) {
  for (const n of [1, 2]) {
    await knex.raw(
      `insert into dq_attempts (id, cluster_id, service_id, build_version,
         git_sha, started_at, ended_at, status, trigger, source, commit_at)
       values (?, ?, 'authn', '0.0.1', 'abc1234', ?, ?, 'SUCCESS', 'merge',
         'legacy', -${HUGE})`,
      [`poison-${n}`, CLUSTER, POISON_END - 600_000, POISON_END],
    );
  }
  const kinds = ['s', 'e'];
  if (databaseId === 'SQLITE_3') {
    for (const n of [1, 2]) {
      await knex.raw(
        `insert into dq_test_runs (event_id, attempt_id, cluster_id,
           service_id, build_version, suite_type, total, passed, failed,
           skipped, duration_sec, executed_at)
         values (?, 'poison-1', ?, 'authn', '0.0.1', 'FUNCTIONAL', ${HUGE},
           ${HUGE}, 0, 0, 1, ?)`,
        [`poison-run-${n}`, CLUSTER, POISON_END],
      );
    }
    kinds.push('t');
  }
  await knex('dq_rollup_dirty').insert(
    kinds.map(kind => ({
      kind,
      cluster_id: CLUSTER,
      service_id: 'authn',
      day: POISON_DAY,
      queued_at: Date.now(),
    })),
  );
  return { parked: kinds.length - 1 };
}

/** Deletes the poisoned rows and queues their keys, as a deleting write would. */
async function cure(knex: Knex) {
  await knex('dq_attempts').where('id', 'like', 'poison-%').delete();
  await knex('dq_test_runs').where('event_id', 'like', 'poison-%').delete();
  await knex('dq_rollup_dirty').insert(
    ['s', 'e', 't'].map(kind => ({
      kind,
      cluster_id: CLUSTER,
      service_id: 'authn',
      day: POISON_DAY,
      queued_at: Date.now(),
    })),
  );
}

/** The figures of billing's analytics that its three days decide. */
async function billingFigures(rollups: RollupRefresher, knex: Knex) {
  const figures = await new KnexAnalytics(knex, { rollups }).compute(
    { serviceId: 'billing' },
    resolveWindow({ from: '2026-02-15', to: '2026-02-28', bucket: 'day' }),
  );
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    deploys: sum(figures.deployFrequency.deploys),
    leadTimes: figures.deployFrequency.avgLeadTimeMin.filter(v => v !== null),
    functional: figures.testPassRates.functional.filter(v => v !== null),
  };
}

describe.each(databases.eachSupportedId())(
  'a poisoned rollup key on %p',
  (databaseId: TestDatabaseId) => {
    it('is parked: the store restarts, other keys refresh, status names it, and it refreshes on its retry once cured', async () => {
      const knex = await databases.init(databaseId);
      const database = mockServices.database({ knex });
      await KnexDeploymentQualityStore.create({ database });
      // Billing's keys wait in the queue beside the poisoned ones, so the
      // first refresh after the restart claims them together.
      const quiet = new KnexDeploymentQualityStore(
        knex,
        undefined,
        new RollupRefresher(knex, { delayMs: 3_600_000 }),
      );
      await quiet.ingestBatch([...billing(1), ...billing(2)]);
      const { parked: poisoned } = await poison(knex, databaseId);

      let clock = Date.now();
      const parked: ParkedKey[] = [];
      const store = await KnexDeploymentQualityStore.create({
        database,
        rollups: { now: () => clock, onKeyParked: key => parked.push(key) },
      });
      expect(parked).toHaveLength(poisoned);
      expect(parked.map(k => [k.kind, k.serviceId, k.day, k.failures])).toEqual(
        expect.arrayContaining([['e', 'authn', POISON_DAY, 1]]),
      );
      expect(parked[0].error).toMatch(/overflow|out of range/);

      // Reads settle without waiting for it, and other keys refresh, now
      // and after later writes.
      await store.settleRollups();
      expect(await billingFigures(store.rollups, knex)).toEqual({
        deploys: 2,
        leadTimes: [10, 10],
        functional: [90, 90],
      });
      await store.ingestBatch(billing(3));
      expect(await billingFigures(store.rollups, knex)).toEqual({
        deploys: 3,
        leadTimes: [10, 10, 10],
        functional: [90, 90, 90],
      });
      expect(parked).toHaveLength(poisoned);

      const reporter = new StatusReporter({
        db: knex,
        store,
        retentionDays: 90,
        rollups: store.rollups,
        metrics: { lastIngestLagSeconds: undefined },
      });
      const status = await reporter.status({ details: true });
      expect(status.ok).toBe(false);
      expect(status.rollups).toMatchObject({
        queuedKeys: 0,
        parkedKeys: poisoned,
      });
      expect(status.rollups?.parked).toEqual(
        expect.arrayContaining([
          {
            rollup: 'attempts-by-end',
            clusterId: CLUSTER,
            serviceId: 'authn',
            day: '2026-02-20',
            failures: 1,
            retryAt: new Date(parked[0].retryAt).toISOString(),
            error: expect.stringMatching(/overflow|out of range/),
          },
        ]),
      );

      // Due again: tried again, failing again, parked twice as long.
      clock = parked[0].retryAt + 1;
      await store.settleRollups();
      expect(parked).toHaveLength(2 * poisoned);
      const again = parked[poisoned];
      expect(again.failures).toBe(2);
      expect(again.retryAt - clock).toBe(20_000);

      // Cured (the rows deleted by hand): the next retry refreshes it.
      await cure(knex);
      await store.settleRollups();
      expect((await store.rollups.parked()).count).toBe(poisoned);
      clock = again.retryAt + 1;
      await store.settleRollups();
      expect(parked).toHaveLength(2 * poisoned);
      expect(await store.rollups.parked()).toEqual({ count: 0, keys: [] });
      expect(await count(knex, 'dq_rollup_dirty')).toBe(0);
      expect((await reporter.status({ details: true })).ok).toBe(true);

      // The rollups are what a rebuild from every row gives.
      const kept = await rollupRows(knex);
      await knex('dq_derived').where('name', 'daily-rollups').delete();
      await ensureRollups(knex);
      expect(await rollupRows(knex)).toEqual(kept);
    });

    it('keeps the backend starting when the rollups are rebuilt over poisoned rows', async () => {
      const knex = await databases.init(databaseId);
      const database = mockServices.database({ knex });
      const first = await KnexDeploymentQualityStore.create({ database });
      await first.ingestBatch([...billing(1), ...billing(2)]);
      await first.settleRollups();
      await poison(knex, databaseId);
      await knex('dq_rollup_dirty').delete();
      // A new derivation (or a bulk load) clears the marker: the next start
      // rebuilds every rollup, which overflows on the poisoned day.
      await knex('dq_derived').where('name', 'daily-rollups').delete();

      const parked: ParkedKey[] = [];
      const store = await KnexDeploymentQualityStore.create({
        database,
        rollups: { onKeyParked: key => parked.push(key) },
      });
      expect(parked.map(k => [k.kind, k.serviceId])).toEqual(
        expect.arrayContaining([['e', 'authn']]),
      );
      expect(await billingFigures(store.rollups, knex)).toEqual({
        deploys: 2,
        leadTimes: [10, 10],
        functional: [90, 90],
      });
    });

    it('lets the plugin start and answer analytics and status, and counts the parked key', async () => {
      const reader = new ScrapeReader();
      const provider = new MeterProvider({ readers: [reader] });
      metrics.setGlobalMeterProvider(provider);
      const knex = await databases.init(databaseId);
      const first = await KnexDeploymentQualityStore.create({
        database: mockServices.database({ knex }),
      });
      await first.ingestBatch([...billing(1), ...billing(2)]);
      await poison(knex, databaseId);

      const backend = await startTestBackend({
        features: [
          deploymentQualityPlugin,
          mockServices.database.factory({ knex }),
          catalogServiceMock.factory({
            entities: [serviceEntity('billing')],
          }),
          mockServices.rootConfig.factory({
            data: {
              deploymentQuality: {
                retention: { days: 36500 },
                ingestion: {
                  webhook: { keys: [{ name: 'ci', secret: 'x'.repeat(16) }] },
                },
              },
            },
          }),
        ],
      });
      try {
        const analytics = await request(backend.server)
          .get(
            '/api/deployment-quality/analytics?serviceId=billing&from=2026-02-15&to=2026-02-28',
          )
          .expect(200);
        expect(
          analytics.body.deployFrequency.deploys.reduce(
            (a: number, b: number) => a + b,
          ),
        ).toBe(2);
        const status = await request(backend.server)
          .get('/api/deployment-quality/status')
          .expect(200);
        expect(status.body.rollups.parked).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              rollup: 'attempts-by-end',
              serviceId: 'authn',
              day: '2026-02-20',
            }),
          ]),
        );
        const { resourceMetrics } = await reader.collect();
        const points = resourceMetrics.scopeMetrics
          .flatMap(scope => scope.metrics)
          .filter(
            m => m.descriptor.name === 'deployment_quality.rollups.keys_parked',
          )
          .flatMap(m => m.dataPoints as unknown[]);
        expect(points).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              attributes: { rollup: 'attempts-by-end' },
              value: 1,
            }),
          ]),
        );
      } finally {
        await backend.stop();
        await provider.shutdown();
        metrics.disable();
      }
    });
  },
);
