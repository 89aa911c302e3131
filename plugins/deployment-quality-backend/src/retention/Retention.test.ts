import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { SchedulerServiceTaskInvocationDefinition } from '@backstage/backend-plugin-api';
import { KnexDeploymentQualityStore } from '../database/KnexDeploymentQualityStore';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { deploymentEvent, testResultEvent } from '../__testUtils__/events';
import { EventEnvelope } from '@deployment-quality/plugin-deployment-quality-common';
import { Retention, readRetentionConfig } from './Retention';
import { SEES_ALL } from '../visibility/Visibility';

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const DAY = 86_400_000;
const daysAgo = (d: number) => new Date(Date.now() - d * DAY).toISOString();

/** One attempt with a test run and a promotion, all `age` days old. */
function history(serviceId: string, age: number): EventEnvelope[] {
  const at = daysAgo(age);
  const deployment = deploymentEvent(
    {
      serviceId,
      buildVersion: '1.0.0',
      startedAt: at,
      endedAt: at,
      runNumber: 1,
    },
    `${serviceId}-deploy`,
  );
  return [
    { ...deployment, receivedAt: at },
    {
      ...testResultEvent(
        {
          attemptId: `mira-us-west-2:${serviceId}:1.0.0:1`,
          executedAt: at,
        },
        `${serviceId}-tests`,
      ),
      receivedAt: at,
    },
    {
      eventId: `${serviceId}-promotion`,
      eventType: 'promotion',
      source: 'test',
      receivedAt: at,
      payload: {
        serviceId,
        buildVersion: '1.0.0',
        fromClusterId: 'mira-us-west-2',
        toClusterId: 'aquila-eu-west-1',
        promotedBy: 'ci',
        promotedAt: at,
      },
    },
  ];
}

describe.each(databases.eachSupportedId())('retention on %s', databaseId => {
  it('drops the pairs left without attempts, a page of pairs at a time', async () => {
    const { knex, store } = await createTestStore(databases, databaseId, {
      retentionDays: 90,
    });
    const live = ['a', 'c', 'e'].flatMap(serviceId =>
      ['aquila-eu-west-1', 'mira-us-west-2'].map(clusterId =>
        deploymentEvent({ clusterId, serviceId, startedAt: daysAgo(1) }),
      ),
    );
    await store.ingestBatch(live);
    // Pairs whose attempts went another way, on either side of live ones
    // and across the page boundaries.
    const abandoned = [
      ['aquila-eu-west-1', 'b'],
      ['aquila-eu-west-1', 'z'],
      ['mira-us-west-2', '0'],
      ['mira-us-west-2', 'd'],
      ['zeta-eu', 'a'],
    ];
    await knex('dq_service_clusters').insert(
      abandoned.map(([cluster_id, service_id]) => ({
        cluster_id,
        service_id,
        first_seen_at: 0,
      })),
    );

    const run = await new Retention(store, mockServices.logger.mock(), {
      days: 90,
      batchSize: 2,
    }).run();

    expect(run.deleted.servicePairs).toBe(abandoned.length);
    const pairs = await knex('dq_service_clusters')
      .orderBy(['cluster_id', 'service_id'])
      .select('cluster_id', 'service_id');
    expect(pairs.map(p => `${p.cluster_id}/${p.service_id}`)).toEqual([
      'aquila-eu-west-1/a',
      'aquila-eu-west-1/c',
      'aquila-eu-west-1/e',
      'mira-us-west-2/a',
      'mira-us-west-2/c',
      'mira-us-west-2/e',
    ]);
  });

  it('deletes what is older than the window in batches, keeps the rest, and a replay of trimmed history stores nothing', async () => {
    const { knex, store } = await createTestStore(databases, databaseId, {
      retentionDays: 90,
    });
    // History from before retention was on: written by a store without it.
    const unlimited = new KnexDeploymentQualityStore(knex);
    const kept = history('kept', 89);
    const old = history('old', 91);
    // old's pair deployed again since: its 91-day attempt is history.
    const since = {
      ...deploymentEvent(
        {
          serviceId: 'old',
          buildVersion: '1.1.0',
          startedAt: daysAgo(89),
          endedAt: daysAgo(89),
          runNumber: 2,
        },
        'old-since',
      ),
      receivedAt: daysAgo(89),
    };
    await unlimited.ingestBatch([...kept, ...old, since]);
    for (const age of [91, 89]) {
      await store.recordRejected({
        receivedAt: daysAgo(age),
        transport: 'webhook',
        reason: 'malformed-json',
        problems: [{ path: '(root)', message: 'not valid JSON' }],
      });
    }

    const run = await new Retention(store, mockServices.logger.mock(), {
      days: 90,
      batchSize: 1,
    }).run();

    expect(run.deleted).toEqual({
      attempts: 1,
      testRuns: 1,
      promotions: 1,
      rejectedEvents: 1,
      ingestedEvents: 3,
      servicePairs: 0,
      clusterValidations: 0,
      externalScorecards: 0,
      costs: 0,
      testCases: 0,
    });
    expect(await knex('dq_attempts').orderBy('id').pluck('id')).toEqual([
      'mira-us-west-2:kept:1.0.0:1',
      'mira-us-west-2:old:1.1.0:2',
    ]);
    expect(await knex('dq_test_runs').pluck('event_id')).toEqual([
      'kept-tests',
    ]);
    expect(await knex('dq_promotions').pluck('service_id')).toEqual(['kept']);
    expect(
      await knex('dq_service_clusters')
        .orderBy('service_id')
        .pluck('service_id'),
    ).toEqual(['kept', 'old']);
    // The days the deleted rows leave are gone from the rollups too, once
    // the keys retention queued are refreshed.
    await store.settleRollups();
    expect(Number((await knex('dq_rollup_dirty').count({ n: '*' }))[0].n)).toBe(
      0,
    );
    expect(
      await knex('dq_attempt_days')
        .where('day', '<', Math.floor((Date.now() - 90 * DAY) / DAY))
        .count({ n: '*' }),
    ).toEqual([{ n: expect.anything() }]);
    expect(
      Number(
        (
          await knex('dq_attempt_days')
            .where('day', '<', Math.floor((Date.now() - 90 * DAY) / DAY))
            .count({ n: '*' })
        )[0].n,
      ),
    ).toBe(0);
    expect(
      await knex('dq_test_days').distinct('service_id').pluck('service_id'),
    ).toEqual(['kept']);
    expect(
      Number((await knex('dq_rejected_events').count({ n: '*' }))[0].n),
    ).toBe(1);

    // The trimmed events come again (a DLQ redrive, a re-run CI job): their
    // log rows are gone, but they are about times outside the window.
    const replayOld = await store.ingestBatch(old);
    expect(replayOld.map(o => o.expired)).toEqual([true, true, true]);
    expect(Number((await knex('dq_attempts').count({ n: '*' }))[0].n)).toBe(2);
    expect(
      Number((await knex('dq_ingested_events').count({ n: '*' }))[0].n),
    ).toBe(4);
    // Kept events are still recognised as duplicates.
    const replayKept = await store.ingestBatch(kept);
    expect(replayKept.map(o => o.duplicate)).toEqual([true, true, true]);

    const { latest, count } = await store.retentionRuns(
      new Date(Date.now() - 60_000),
    );
    expect(count).toBe(1);
    expect(latest).toEqual(run);
  });

  it('loops until every old row is gone when there are more than one batch', async () => {
    const { knex } = await createTestStore(databases, databaseId);
    const store = new KnexDeploymentQualityStore(knex);
    await store.ingestBatch(
      Array.from({ length: 7 }, (_, i) => [
        deploymentEvent(
          {
            serviceId: `svc-${i}`,
            startedAt: daysAgo(100),
            endedAt: daysAgo(100),
            runNumber: 1,
          },
          `old-${i}`,
        ),
        deploymentEvent(
          {
            serviceId: `svc-${i}`,
            startedAt: daysAgo(10),
            endedAt: daysAgo(10),
            runNumber: 2,
          },
          `new-${i}`,
        ),
      ]).flat(),
    );
    const deleted = await store.deleteOlderThan(
      new Date(Date.now() - 90 * DAY),
      {
        batchSize: 3,
      },
    );
    expect(deleted.attempts).toBe(7);
    expect(Number((await knex('dq_attempts').count({ n: '*' }))[0].n)).toBe(7);
  });

  it('keeps what a pair last deployed 120 days ago runs: its current version, its latest attempt, their test runs and the promotion that brought them', async () => {
    const { knex } = await createTestStore(databases, databaseId);
    const store = new KnexDeploymentQualityStore(knex);
    const attempt = (
      run: number,
      age: number,
      status: 'SUCCESS' | 'FAILED',
      cluster = 'aquila-eu-west-1',
    ) => [
      deploymentEvent(
        {
          clusterId: cluster,
          serviceId: 'stable',
          buildVersion: `1.${run}.0`,
          status,
          startedAt: daysAgo(age),
          endedAt: daysAgo(age),
          runNumber: run,
        },
        `deploy-${cluster}-${run}`,
      ),
      testResultEvent(
        {
          attemptId: `${cluster}:stable:1.${run}.0:${run}`,
          executedAt: daysAgo(age),
        },
        `tests-${cluster}-${run}`,
      ),
      {
        eventId: `promotion-${cluster}-${run}`,
        eventType: 'promotion',
        source: 'test',
        receivedAt: daysAgo(age),
        payload: {
          promotionId: `promotion-${cluster}-${run}`,
          serviceId: 'stable',
          buildVersion: `1.${run}.0`,
          fromClusterId: 'mira-us-west-2',
          toClusterId: cluster,
          promotedBy: 'ci',
          promotedAt: daysAgo(age),
        },
      } as EventEnvelope,
    ];
    await store.ingestBatch([
      ...attempt(1, 130, 'SUCCESS'),
      ...attempt(2, 125, 'SUCCESS'),
      ...attempt(3, 120, 'FAILED'),
      // Another pair of the same service with recent history: only its
      // newer attempt stays.
      ...attempt(4, 100, 'SUCCESS', 'mira-us-west-2'),
      ...attempt(5, 5, 'SUCCESS', 'mira-us-west-2'),
    ]);

    const deleted = await store.deleteOlderThan(
      new Date(Date.now() - 90 * DAY),
      { batchSize: 2 },
    );

    expect(await knex('dq_attempts').orderBy('id').pluck('id')).toEqual([
      'aquila-eu-west-1:stable:1.2.0:2',
      'aquila-eu-west-1:stable:1.3.0:3',
      'mira-us-west-2:stable:1.5.0:5',
    ]);
    expect(
      await knex('dq_test_runs').orderBy('event_id').pluck('event_id'),
    ).toEqual([
      'tests-aquila-eu-west-1-2',
      'tests-aquila-eu-west-1-3',
      'tests-mira-us-west-2-5',
    ]);
    expect(
      await knex('dq_promotions').orderBy('promotion_id').pluck('promotion_id'),
    ).toEqual([
      'promotion-aquila-eu-west-1-2',
      'promotion-aquila-eu-west-1-3',
      'promotion-mira-us-west-2-5',
    ]);
    expect(deleted).toMatchObject({ attempts: 2, testRuns: 2, promotions: 2 });
    const [aquila] = await store.listPairStates({
      clusterId: 'aquila-eu-west-1',
      visibility: SEES_ALL,
    });
    expect(aquila.currentVersion).toBe('1.2.0');
    expect(aquila.latestAttempt.id).toBe('aquila-eu-west-1:stable:1.3.0:3');
    const gates = await store.getGates([aquila.latestAttempt.id]);
    expect(Object.keys(gates.get(aquila.latestAttempt.id)!)).not.toHaveLength(
      0,
    );

    // Run again: nothing more goes, the kept rows are not re-selected forever.
    await expect(
      store.deleteOlderThan(new Date(Date.now() - 90 * DAY), { batchSize: 2 }),
    ).resolves.toMatchObject({ attempts: 0, testRuns: 0, promotions: 0 });
  });
});

describe('Retention', () => {
  it('schedules one global task, so one replica runs it per period', async () => {
    const tasks: SchedulerServiceTaskInvocationDefinition[] = [];
    const scheduler = mockServices.scheduler.mock({
      scheduleTask: async task => {
        tasks.push(task as SchedulerServiceTaskInvocationDefinition);
      },
    });
    const config = readRetentionConfig(
      mockServices.rootConfig({
        data: {
          deploymentQuality: {
            retention: {
              days: 30,
              schedule: { frequency: { minutes: 10 }, timeout: { minutes: 2 } },
            },
          },
        },
      }),
    );
    const store = {
      deleteOlderThan: jest.fn(async () => ({
        attempts: 0,
        testRuns: 0,
        promotions: 0,
        rejectedEvents: 0,
        ingestedEvents: 0,
        servicePairs: 0,
        clusterValidations: 0,
        externalScorecards: 0,
        costs: 0,
        testCases: 0,
      })),
      recordRetentionRun: jest.fn(async () => {}),
    };
    const retention = new Retention(store, mockServices.logger.mock(), config);
    await retention.schedule(scheduler, config.schedule);

    expect(tasks).toEqual([
      expect.objectContaining({
        id: 'deployment-quality-retention',
        scope: 'global',
        frequency: { minutes: 10 },
        timeout: { minutes: 2 },
      }),
    ]);
    await tasks[0].fn(new AbortController().signal);
    const [cutoff] = store.deleteOlderThan.mock.calls[0] as unknown as [Date];
    expect(Date.now() - cutoff.getTime()).toBeGreaterThanOrEqual(30 * DAY);
    expect(Date.now() - cutoff.getTime()).toBeLessThan(30 * DAY + 60_000);
    expect(store.recordRetentionRun).toHaveBeenCalledTimes(1);
  });

  it('defaults to 90 days, hourly, and refuses a nonsense window', () => {
    const defaults = readRetentionConfig(mockServices.rootConfig());
    expect(defaults).toMatchObject({
      days: 90,
      batchSize: 1000,
      schedule: { frequency: { hours: 1 } },
    });
    expect(() =>
      readRetentionConfig(
        mockServices.rootConfig({
          data: { deploymentQuality: { retention: { days: 0 } } },
        }),
      ),
    ).toThrow(/retention.days/);
  });
});
