import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { EventEnvelope } from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { deploymentEvent, testResultEvent } from '../__testUtils__/events';

// A batch is written with a fixed number of statements, not one per event;
// each statement must still stay within the database's limits whatever the
// batch: SQLite takes 500 rows per multi-row insert (knex writes it as a
// compound SELECT) and 32,766 bound values, PostgreSQL 65,535.

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const BUILDS = 600;
const RUNS_PER_BUILD = 8;

const count = async (knex: Knex, table: string) =>
  Number((await knex(table).count({ n: '*' }))[0].n);

const attemptId = (build: number) => `mira-us-west-2:authn:1.0.${build}:1`;

describe.each(databases.eachSupportedId())(
  'batches of thousands of events on %p',
  (databaseId: TestDatabaseId) => {
    it('stores every event, linking runs to attempts that came later', async () => {
      const { knex, store } = await createTestStore(databases, databaseId);
      const builds = Array.from({ length: BUILDS }, (_, b) => b);
      // 4,800 runs before their attempts: 33,600 values in the event log's
      // insert and 67,200 in the runs' insert, past both binding limits.
      const early: EventEnvelope[] = builds.flatMap(b =>
        Array.from({ length: RUNS_PER_BUILD }, (_, r) =>
          testResultEvent({
            attemptId: attemptId(b),
            suiteType: `SUITE_${r}`,
          }),
        ),
      );
      const deployments = builds.map(b =>
        deploymentEvent({ buildVersion: `1.0.${b}` }),
      );
      const promotions: EventEnvelope[] = builds.map(b => ({
        eventId: `promotion-${b}`,
        eventType: 'promotion',
        source: 'test',
        receivedAt: '2026-02-24T10:00:00.000Z',
        payload: {
          serviceId: 'authn',
          buildVersion: `1.0.${b}`,
          fromClusterId: 'mira-us-west-2',
          toClusterId: 'pavo-us-west-2',
          promotedBy: 'release-bot',
          promotedAt: '2026-02-24T09:20:00.000Z',
        },
      }));
      // By build, so each run's attempt is looked up among 600 builds.
      const byBuild = builds.map(b =>
        testResultEvent({
          attemptId: undefined,
          clusterId: 'mira-us-west-2',
          serviceId: 'authn',
          buildVersion: `1.0.${b}`,
        }),
      );

      const outcomes = [
        ...(await store.ingestBatch(early)),
        ...(await store.ingestBatch([...deployments, ...promotions])),
        ...(await store.ingestBatch(byBuild)),
      ];
      expect(outcomes.filter(o => o.duplicate || o.expired)).toEqual([]);
      expect(await count(knex, 'dq_ingested_events')).toBe(
        early.length + deployments.length + promotions.length + byBuild.length,
      );
      expect(await count(knex, 'dq_attempts')).toBe(BUILDS);
      expect(await count(knex, 'dq_promotions')).toBe(BUILDS);
      const runs = await knex('dq_test_runs')
        .whereNull('service_id')
        .orWhereNull('attempt_id')
        .count({ n: '*' });
      expect(Number(runs[0].n)).toBe(0);
      expect(await count(knex, 'dq_test_runs')).toBe(
        early.length + byBuild.length,
      );
      // The same batch again: every event a duplicate, nothing written twice.
      const again = await store.ingestBatch(early);
      expect(again.every(o => o.duplicate)).toBe(true);
      expect(await count(knex, 'dq_test_runs')).toBe(
        early.length + byBuild.length,
      );
    });
  },
);
