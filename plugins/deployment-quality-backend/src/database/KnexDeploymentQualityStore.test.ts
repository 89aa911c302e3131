import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { deploymentEvent, testResultEvent } from '../__testUtils__/events';
import { SEES_ALL } from '../visibility/Visibility';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

// eslint-disable-next-line no-console
console.info(`store tests run on: ${databases.eachSupportedId().join(', ')}`);

const createStore = (databaseId: TestDatabaseId) =>
  createTestStore(databases, databaseId);

describe.each(databases.eachSupportedId())(
  'KnexDeploymentQualityStore on %p',
  (databaseId: TestDatabaseId) => {
    it('stores an attempt and reads it back', async () => {
      const { store } = await createStore(databaseId);
      await store.ingest(
        deploymentEvent({
          commitAt: '2026-02-24T08:00:00.000Z',
          failureReason: undefined,
        }),
      );
      await expect(
        store.getAttempt('mira-us-west-2:authn:3.4.2:1'),
      ).resolves.toEqual({
        id: 'mira-us-west-2:authn:3.4.2:1',
        clusterId: 'mira-us-west-2',
        serviceId: 'authn',
        buildVersion: '3.4.2',
        gitSha: 'abc1234',
        startedAt: '2026-02-24T09:00:00.000Z',
        endedAt: '2026-02-24T09:10:00.000Z',
        status: 'SUCCESS',
        trigger: 'merge',
        source: 'test',
        commitAt: '2026-02-24T08:00:00.000Z',
      });
    });

    it('lists the clusters met in attempts once each, in order, and probes one', async () => {
      const { store } = await createStore(databaseId);
      await expect(store.listSeenClusterIds()).resolves.toEqual([]);
      await store.ingestBatch(
        ['zeta-eu', 'alpha-us', 'mid-ap', 'alpha-us'].flatMap(clusterId =>
          ['authn', 'billing', 'cart'].map(serviceId =>
            deploymentEvent({ clusterId, serviceId }),
          ),
        ),
      );
      await expect(store.listSeenClusterIds()).resolves.toEqual([
        'alpha-us',
        'mid-ap',
        'zeta-eu',
      ]);
      await expect(store.hasCluster('mid-ap')).resolves.toBe(true);
      await expect(store.hasCluster('mid')).resolves.toBe(false);
    });

    it('stores the same eventId once', async () => {
      const { store, knex } = await createStore(databaseId);
      const event = testResultEvent({}, 'same-id');
      await expect(store.ingest(event)).resolves.toEqual({
        eventId: 'same-id',
        duplicate: false,
      });
      await expect(store.ingest(event)).resolves.toEqual({
        eventId: 'same-id',
        duplicate: true,
      });
      const [{ n }] = await knex('dq_test_runs').count({ n: '*' });
      expect(Number(n)).toBe(1);
    });

    it('never lets a late IN_PROGRESS overwrite a finished attempt', async () => {
      const { store } = await createStore(databaseId);
      await store.ingest(deploymentEvent({ status: 'SUCCESS' }));
      await store.ingest(
        deploymentEvent({ status: 'IN_PROGRESS', endedAt: null }),
      );
      const attempt = await store.getAttempt('mira-us-west-2:authn:3.4.2:1');
      expect(attempt?.status).toBe('SUCCESS');
      expect(attempt?.endedAt).toBe('2026-02-24T09:10:00.000Z');
    });

    it('lets the final event replace IN_PROGRESS, keeping fields only the first had', async () => {
      const { store } = await createStore(databaseId);
      await store.ingest(
        deploymentEvent({
          status: 'IN_PROGRESS',
          endedAt: null,
          commitAt: '2026-02-24T08:30:00.000Z',
        }),
      );
      await store.ingest(
        deploymentEvent({
          status: 'FAILED',
          failureReason: 'smoke test failed',
        }),
      );
      const attempt = await store.getAttempt('mira-us-west-2:authn:3.4.2:1');
      expect(attempt).toMatchObject({
        status: 'FAILED',
        failureReason: 'smoke test failed',
        commitAt: '2026-02-24T08:30:00.000Z',
      });
    });

    it('between two finished states keeps the later endedAt, in either order', async () => {
      const early = {
        status: 'FAILED' as const,
        endedAt: '2026-02-24T09:05:00.000Z',
      };
      const late = {
        status: 'ROLLBACK' as const,
        endedAt: '2026-02-24T09:20:00.000Z',
        rollbackToBuild: '3.4.1',
      };
      for (const order of [
        [early, late],
        [late, early],
      ]) {
        const { store } = await createStore(databaseId);
        for (const p of order) await store.ingest(deploymentEvent(p));
        const attempt = await store.getAttempt('mira-us-west-2:authn:3.4.2:1');
        expect(attempt).toMatchObject({
          status: 'ROLLBACK',
          endedAt: '2026-02-24T09:20:00.000Z',
        });
      }
    });

    it('derives one attempt id from startedAt when no run number is given', async () => {
      const { store } = await createStore(databaseId);
      await store.ingest(
        deploymentEvent({
          runNumber: undefined,
          status: 'IN_PROGRESS',
          endedAt: null,
        }),
      );
      await store.ingest(deploymentEvent({ runNumber: undefined }));
      const page = await store.listAttempts({
        serviceId: 'authn',
        limit: 10,
        visibility: SEES_ALL,
      });
      expect(page.attempts).toHaveLength(1);
      expect(page.attempts[0]).toMatchObject({
        id: `mira-us-west-2:authn:3.4.2:${
          Date.parse('2026-02-24T09:00:00.000Z') / 1000
        }`,
        status: 'SUCCESS',
      });
    });

    it('joins a test result that arrived before its deployment, by build', async () => {
      const { store } = await createStore(databaseId);
      await store.ingest(
        testResultEvent({
          attemptId: undefined,
          clusterId: 'mira-us-west-2',
          serviceId: 'authn',
          buildVersion: '3.4.2',
          suiteType: 'SANITY',
          total: 5,
          passed: 5,
          failed: 0,
        }),
      );
      await store.ingest(deploymentEvent());
      const gates = await store.getGates(['mira-us-west-2:authn:3.4.2:1']);
      expect(gates.get('mira-us-west-2:authn:3.4.2:1')).toEqual({
        sanity: { passed: 5, total: 5, failed: 0, skipped: 0 },
      });
      await expect(
        store.listTestRuns('mira-us-west-2:authn:3.4.2:1'),
      ).resolves.toHaveLength(1);
    });

    it('links a by-build test result to the build’s latest attempt started before it ran, in any order', async () => {
      const byBuild = (executedAt: string) =>
        testResultEvent({
          attemptId: undefined,
          clusterId: 'mira-us-west-2',
          serviceId: 'authn',
          buildVersion: '3.4.2',
          executedAt,
        });
      const events = [
        deploymentEvent({ runNumber: 1 }),
        deploymentEvent({
          runNumber: 2,
          startedAt: '2026-02-24T11:00:00.000Z',
          endedAt: '2026-02-24T11:05:00.000Z',
        }),
        byBuild('2026-02-24T09:12:00.000Z'),
        byBuild('2026-02-24T11:07:00.000Z'),
      ];
      for (const order of [
        [0, 1, 2, 3],
        [3, 2, 1, 0],
        [2, 0, 3, 1],
      ]) {
        const { store } = await createStore(databaseId);
        for (const i of order) await store.ingest(events[i]);
        const runsOf = async (n: number) =>
          (await store.listTestRuns(`mira-us-west-2:authn:3.4.2:${n}`)).map(
            r => r.executedAt,
          );
        await expect(runsOf(1)).resolves.toEqual(['2026-02-24T09:12:00.000Z']);
        await expect(runsOf(2)).resolves.toEqual(['2026-02-24T11:07:00.000Z']);
      }
    });

    it('uses the latest run of each suite as its gate', async () => {
      const { store } = await createStore(databaseId);
      await store.ingest(deploymentEvent());
      await store.ingest(
        testResultEvent({
          passed: 7,
          failed: 3,
          executedAt: '2026-02-24T09:11:00.000Z',
        }),
      );
      await store.ingest(
        testResultEvent({
          passed: 10,
          failed: 0,
          executedAt: '2026-02-24T09:15:00.000Z',
        }),
      );
      const gates = await store.getGates(['mira-us-west-2:authn:3.4.2:1']);
      expect(gates.get('mira-us-west-2:authn:3.4.2:1')?.functional).toEqual({
        passed: 10,
        total: 10,
        failed: 0,
        skipped: 0,
      });
    });

    it('pages attempts newest first without repeating or skipping rows', async () => {
      const { store } = await createStore(databaseId);
      // 7 attempts, two sharing a startedAt so the id breaks the tie.
      const starts = ['01', '02', '03', '03', '04', '05', '06'];
      for (const [i, day] of starts.entries()) {
        await store.ingest(
          deploymentEvent({
            runNumber: i + 1,
            startedAt: `2026-02-${day}T09:00:00.000Z`,
            endedAt: `2026-02-${day}T09:05:00.000Z`,
          }),
        );
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listAttempts({
          clusterId: 'mira-us-west-2',
          limit: 3,
          cursor,
          visibility: SEES_ALL,
        });
        seen.push(...page.attempts.map(a => a.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(
        [7, 6, 5, 4, 3, 2, 1].map(n => `mira-us-west-2:authn:3.4.2:${n}`),
      );
    });

    it('reports the current version, including a rollback target', async () => {
      const { store } = await createStore(databaseId);
      await store.ingest(
        deploymentEvent({ buildVersion: '1.0.0', runNumber: 1 }),
      );
      let [state] = await store.listPairStates({
        clusterId: 'mira-us-west-2',
        visibility: SEES_ALL,
      });
      expect(state.currentVersion).toBe('1.0.0');

      await store.ingest(
        deploymentEvent({
          buildVersion: '1.1.0',
          runNumber: 2,
          status: 'ROLLBACK',
          rollbackToBuild: '1.0.0',
          startedAt: '2026-02-25T09:00:00.000Z',
          endedAt: '2026-02-25T09:10:00.000Z',
        }),
      );
      await store.ingest(
        deploymentEvent({
          buildVersion: '1.2.0',
          runNumber: 3,
          status: 'FAILED',
          startedAt: '2026-02-26T09:00:00.000Z',
          endedAt: '2026-02-26T09:10:00.000Z',
        }),
      );
      [state] = await store.listPairStates({
        clusterId: 'mira-us-west-2',
        visibility: SEES_ALL,
      });
      expect(state.currentVersion).toBe('1.0.0');
      expect(state.latestAttempt.buildVersion).toBe('1.2.0');
      await expect(
        store.countAttemptsByStatus({
          clusterId: 'mira-us-west-2',
          visibility: SEES_ALL,
        }),
      ).resolves.toMatchObject({
        SUCCESS: 1,
        ROLLBACK: 1,
        FAILED: 1,
        IN_PROGRESS: 0,
      });
    });

    it('stores promotions idempotently and cluster configs as upserts', async () => {
      const { store } = await createStore(databaseId);
      const promotion = {
        eventType: 'promotion' as const,
        source: 'test',
        receivedAt: '2026-02-24T10:00:00.000Z',
        payload: {
          serviceId: 'authn',
          buildVersion: '3.4.2',
          fromClusterId: 'mira-us-west-2',
          toClusterId: 'pavo-us-east-1',
          promotedBy: 'alice',
          promotedAt: '2026-02-24T10:00:00.000Z',
        },
      };
      await store.ingest({ ...promotion, eventId: 'p1' });
      await store.ingest({ ...promotion, eventId: 'p2' });
      await expect(
        store.listPromotionsOfBuild('authn', '3.4.2'),
      ).resolves.toEqual([
        expect.objectContaining({
          fromClusterId: 'mira-us-west-2',
          toClusterId: 'pavo-us-east-1',
          promotedBy: 'alice',
        }),
      ]);

      for (const [eventId, name] of [
        ['c1', 'Pavo'],
        ['c2', 'Pavo US-East-1'],
      ]) {
        await store.ingest({
          eventId,
          eventType: 'cluster-config',
          source: 'test',
          receivedAt: '2026-02-24T10:00:00.000Z',
          payload: {
            id: 'pavo-us-east-1',
            name,
            type: 'Staging',
            role: 'Primary',
            description: '',
            region: 'us-east-1',
          },
        });
      }
      await expect(store.listRegisteredClusters()).resolves.toEqual([
        {
          id: 'pavo-us-east-1',
          name: 'Pavo US-East-1',
          type: 'Staging',
          role: 'Primary',
          description: '',
          region: 'us-east-1',
        },
      ]);
    });
  },
);
