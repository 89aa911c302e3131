import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { deploymentEvent, testResultEvent } from '../__testUtils__/events';
import { KnexDeploymentQualityStore } from '../database/KnexDeploymentQualityStore';
import { NotificationRules, readNotificationConfig } from './config';
import { MAX_TRIES, NotifyQueue } from './NotifyQueue';
import { NotifyWindows, Outgoing } from './NotifyWindows';
import { OwnerNotifier } from './OwnerNotifier';

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const rules = (): NotificationRules =>
  readNotificationConfig(mockServices.rootConfig({ data: {} })).rules;
const attemptId = (build: string, run = 1) => `prod-eu:billing:${build}:${run}`;

describe.each(databases.eachSupportedId())('OwnerNotifier on %p', id => {
  let knex: Knex;
  let store: KnexDeploymentQualityStore;
  let sent: Outgoing[];
  let failSends: boolean;
  let notifier: OwnerNotifier;
  let queue: NotifyQueue;
  /** Items are due from their commit on: a pass a minute later finds them. */
  let NOW: number;

  beforeEach(async () => {
    NOW = Date.now() + 60_000;
    ({ knex, store } = await createTestStore(databases, id, {
      notify: { settleMs: 0 },
    }));
    sent = [];
    failSends = false;
    queue = new NotifyQueue(knex);
    notifier = new OwnerNotifier({
      db: knex,
      store,
      index: {
        links: async ids =>
          new Map(
            ids.map(s => [
              s,
              { entityRef: `component:default/${s}`, title: `The ${s}` },
            ]),
          ),
      },
      queue,
      windows: new NotifyWindows(knex),
      send: async o => {
        if (failSends) throw new Error('notifications backend unreachable');
        sent.push(o);
      },
      rules: rules(),
      gatePolicy: { requiredSuites: [], minPassRate: { default: 0 } },
      configuredClusters: [
        {
          id: 'prod-eu',
          name: 'Production EU',
          type: 'Production',
          role: '',
          description: '',
          configured: true,
        },
        {
          id: 'dev-eu',
          name: 'Dev EU',
          type: 'Development',
          role: '',
          description: '',
          configured: true,
        },
      ] as any,
      logger: mockServices.logger.mock(),
    });
  });

  const deploy = (
    build: string,
    status: 'SUCCESS' | 'FAILED' | 'ROLLBACK',
    clusterId = 'prod-eu',
  ) =>
    store.ingest(
      deploymentEvent({
        clusterId,
        serviceId: 'billing',
        buildVersion: build,
        status,
        runNumber: 1,
      }),
    );

  it('queues failed attempts in their transaction and tells only of those on alerting clusters', async () => {
    await deploy('1.0.0', 'SUCCESS');
    await deploy('1.0.1', 'FAILED', 'dev-eu');
    await deploy('1.0.2', 'ROLLBACK');
    expect(await queue.size()).toBe(2);
    await notifier.run(NOW);
    expect(sent).toHaveLength(1);
    expect(sent[0].notice).toMatchObject({
      entityRef: 'component:default/billing',
      title: 'The billing: 1.0.2 was rolled back on Production EU',
      link: '/catalog/default/component/billing/deployments',
      severity: 'high',
    });
    expect(await queue.size()).toBe(0);
  });

  it('tells of a suite falling more than the configured points below its recent median', async () => {
    const rates = [95, 96, 94, 95, 90, 70];
    for (const [i, rate] of rates.entries()) {
      const build = `2.0.${i}`;
      await deploy(build, 'SUCCESS');
      await store.ingest(
        testResultEvent({
          attemptId: attemptId(build),
          suiteType: 'REGRESSION',
          total: 100,
          passed: rate,
          failed: 100 - rate,
          executedAt: `2026-02-24T09:${String(12 + i).padStart(
            2,
            '0',
          )}:00.000Z`,
        }),
      );
      await notifier.run(NOW + i);
    }
    // 90 is 5 points under the median of 95: only 70 (25 under) fires.
    expect(sent.map(o => o.notice.title)).toEqual([
      'The billing: REGRESSION pass rate fell to 70 % on prod-eu',
    ]);
    expect(sent[0].notice.description).toBe(
      'REGRESSION passed 70 % on build 2.0.5, against a median of 95 % over the 5 runs before it on prod-eu.',
    );
  });

  it('keeps an item whose notification fails, and gives it up after its tries', async () => {
    await deploy('3.0.0', 'FAILED');
    failSends = true;
    await notifier.run(NOW);
    expect(await queue.size()).toBe(1);
    const [item] = await queue.due(NOW + 86_400_000, 10);
    expect(item.tries).toBe(1);
    failSends = false;
    await notifier.run(NOW + 86_400_000);
    expect(sent).toHaveLength(1);
    expect(await queue.size()).toBe(0);

    await deploy('3.0.1', 'FAILED');
    failSends = true;
    for (let i = 0; i < MAX_TRIES; i++) {
      await notifier.run(NOW + (i + 2) * 86_400_000);
    }
    expect(await queue.size()).toBe(0);
  });
});
