import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { KnexAnalytics } from '../analytics/KnexAnalytics';
import { resolveWindow } from '../analytics/window';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { deploymentEvent, testResultEvent } from '../__testUtils__/events';
import { KnexDeploymentQualityStore } from './KnexDeploymentQualityStore';
import { RollupRefresher, ensureRollups } from './rollups';
import { rollupRows } from '../__testUtils__/rollups';

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const count = async (knex: Knex, table: string) =>
  Number((await knex(table).count({ n: '*' }))[0].n);

/** The rollups as they are, and as a rebuild from every row makes them. */
async function keptAndRebuilt(knex: Knex) {
  const kept = await rollupRows(knex);
  await knex('dq_derived').where('name', 'daily-rollups').delete();
  await ensureRollups(knex);
  return { kept, rebuilt: await rollupRows(knex) };
}

/** A store whose refresher only runs when settled, so the queue can be seen. */
const quietStore = (knex: Knex) =>
  new KnexDeploymentQualityStore(
    knex,
    undefined,
    new RollupRefresher(knex, { delayMs: 3_600_000 }),
  );

const deploy = (serviceId: string, runNumber: number, status = 'SUCCESS') =>
  deploymentEvent({
    serviceId,
    runNumber,
    status: status as any,
    startedAt: `2026-02-2${runNumber}T09:00:00.000Z`,
    endedAt: `2026-02-2${runNumber}T09:10:00.000Z`,
  });

describe.each(databases.eachSupportedId())('rollups on %s', databaseId => {
  it('queues the keys a write touched and refreshes them to what a rebuild gives', async () => {
    const { knex } = await createTestStore(databases, databaseId);
    const store = quietStore(knex);
    const before = await store.settleRollups();
    await store.ingestBatch([
      deploy('authn', 1),
      deploy('authn', 2, 'IN_PROGRESS'),
      deploy('billing', 3, 'FAILED'),
      testResultEvent({ attemptId: 'mira-us-west-2:authn:3.4.2:1' }),
      // Tests of an attempt that hasn't arrived: rolled up under ''.
      testResultEvent({ attemptId: 'mira-us-west-2:late:1.0.0:1' }),
    ]);
    expect(await count(knex, 'dq_rollup_dirty')).toBeGreaterThan(0);
    expect(await count(knex, 'dq_attempt_days')).toBe(0);
    const first = await store.settleRollups();
    expect(first).toBeGreaterThan(before);

    // The attempt in progress ends as a rollback, and another one moves to
    // a later start: days already rolled up change, totals with them.
    await store.ingest(deploy('authn', 2, 'ROLLBACK'));
    await store.ingest(
      deploymentEvent({
        serviceId: 'billing',
        runNumber: 3,
        status: 'FAILED',
        startedAt: '2026-02-25T09:00:00.000Z',
        endedAt: '2026-02-25T09:30:00.000Z',
      }),
    );
    expect(await count(knex, 'dq_rollup_dirty')).toBeGreaterThan(0);

    const after = await store.settleRollups();
    expect(after).toBeGreaterThan(first);
    expect(await count(knex, 'dq_rollup_dirty')).toBe(0);
    const { kept, rebuilt } = await keptAndRebuilt(knex);
    expect(kept.attempts.length).toBeGreaterThan(0);
    expect(kept.tests.length).toBeGreaterThan(0);
    expect(kept.totals.length).toBeGreaterThan(0);
    expect(kept).toEqual(rebuilt);
    // Nothing queued: settling again changes nothing.
    expect(await store.settleRollups()).toBe(await store.settleRollups());
  });

  it('covers a write that commits while a refresh is under way, and two replicas refreshing at once', async () => {
    const { knex } = await createTestStore(databases, databaseId);
    const replicas = [quietStore(knex), quietStore(knex)];
    const settles: Array<Promise<number>> = [];
    for (let run = 1; run <= 8; run++) {
      const replica = replicas[run % 2];
      await replica.ingest(deploy(`svc-${run % 3}`, run, 'FAILED'));
      // Not awaited: the next write races this refresh.
      settles.push(replica.settleRollups());
      await replica.ingest(deploy(`svc-${run % 3}`, run));
    }
    await Promise.all(settles);
    await Promise.all(replicas.map(r => r.settleRollups()));

    expect(await count(knex, 'dq_rollup_dirty')).toBe(0);
    const { kept, rebuilt } = await keptAndRebuilt(knex);
    expect(kept).toEqual(rebuilt);
    expect(
      kept.attempts.filter(r => r.kind === 's').map(r => r.status),
    ).not.toContain('FAILED');
  });

  it('serves the analytics of a window from cache until a write changes the data', async () => {
    const { knex } = await createTestStore(databases, databaseId);
    const store = quietStore(knex);
    const analytics = new KnexAnalytics(knex, {
      rollups: store.rollups,
      cacheEntries: 8,
    });
    const window = resolveWindow({
      from: '2026-02-01',
      to: '2026-02-28',
      bucket: 'day',
    });
    const deploys = async () =>
      (await analytics.compute({}, window)).deployFrequency.deploys.reduce(
        (a, b) => a + b,
      );
    await store.ingest(deploy('authn', 1));
    expect(await deploys()).toBe(1);

    const queries: string[] = [];
    const listen = (q: { sql: string }) => queries.push(q.sql);
    knex.on('query', listen);
    expect(await deploys()).toBe(1);
    knex.off('query', listen);
    // Only the refresher's look at the queue and the generation.
    expect(queries.some(sql => sql.includes('dq_attempts'))).toBe(false);
    expect(queries.length).toBeGreaterThan(0);

    await store.ingest(deploy('authn', 2));
    expect(await deploys()).toBe(2);
    await store.ingest(deploy('billing', 3));
    expect(await deploys()).toBe(3);
  });
});
