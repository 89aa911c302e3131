import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import request from 'supertest';
import { testDatabaseIds } from '../__testUtils__/databases';
import {
  groupEntity,
  serviceEntity,
  userEntity,
} from '../__testUtils__/entities';
import { webhookDeployment } from '../__testUtils__/events';
import {
  RealBackends,
  WEBHOOK_SECRET,
  startRealBackends,
} from '../__testUtils__/realBackends';

jest.setTimeout(120_000);

const entities: Entity[] = [
  serviceEntity('billing', { owner: 'team-a' }),
  serviceEntity('vault', { owner: 'team-b' }),
  groupEntity('team-a'),
  groupEntity('team-b'),
  userEntity('alice', ['team-a']),
  userEntity('bob', ['team-b']),
];
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

const databases = TestDatabases.create({ ids: testDatabaseIds() });

type Listed = {
  title: string;
  description: string;
  link: string;
  severity: string;
  topic: string;
};

describe.each(databases.eachSupportedId())(
  'notifications through the real notifications backend on %p',
  databaseId => {
    let backends: RealBackends;
    const inbox = async (userRef: string): Promise<Listed[]> => {
      const res = await request(backends.server)
        .get('/api/notifications/notifications')
        .set(backends.userHeader(userRef))
        .expect(200);
      return res.body.notifications.map((n: { payload: Listed }) => n.payload);
    };
    const until = async <T>(what: () => Promise<T>, ok: (v: T) => boolean) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const value = await what();
        if (ok(value) || Date.now() > deadline) return value;
        await new Promise(r => setTimeout(r, 250));
      }
    };
    const send = (body: object) =>
      request(backends.server)
        .post('/api/deployment-quality/ingest/webhook')
        .set('X-Webhook-Secret', WEBHOOK_SECRET)
        .send(body)
        .expect(202);

    beforeAll(async () => {
      backends = await startRealBackends({
        knex: await databases.init(databaseId),
        entities,
        features: [
          // Without the signals backend: notifications publish through the
          // signals service (the events bus), which needs no plugin, and
          // release 1.57's signals backend registers a WebSocket route that
          // the registry's latest backend-test-utils (1.11.7) can't serve.
          // The portal's backend starts it (scripts/e2e).
          notificationsPlugin,
          // The real scheduler: the notifier runs as a scheduled task.
          schedulerServiceFactory,
        ],
        config: {
          clusters: [
            { id: 'prod-eu', name: 'Production EU', type: 'Production' },
            { id: 'stage-eu', name: 'Staging EU', type: 'Staging' },
          ],
          gates: {
            requiredSuites: ['SANITY'],
            minPassRate: { default: 90 },
            quarantine: [
              {
                serviceId: 'vault',
                suite: 'api',
                className: 'Vault',
                name: 'seals',
              },
            ],
          },
          notifications: {
            enabled: true,
            pollSeconds: 1,
            rules: {
              // Three seconds, so the window closes within the test.
              deploymentFailed: { dedupeMinutes: 0.05 },
              gateFailed: { settleMinutes: 0 },
            },
          },
        },
      });
      await backends.waitForCatalog();
    });
    afterAll(() => backends?.stop());

    it('tells the owners of a failed production deployment once per window, with the count, and no one else', async () => {
      // Staging doesn't alert; five failures on production in one window.
      await send(
        webhookDeployment({
          clusterId: 'stage-eu',
          serviceId: 'billing',
          status: 'FAILED',
          runNumber: 1,
        }),
      );
      for (let run = 1; run <= 5; run++) {
        await send(
          webhookDeployment({
            clusterId: 'prod-eu',
            serviceId: 'billing',
            buildVersion: `1.0.${run}`,
            status: 'FAILED',
            failureReason: `image pull failed (${run})`,
            runNumber: run,
          }),
        );
      }
      const first = await until(
        () => inbox(ALICE),
        list => list.length > 0,
      );
      expect(first).toHaveLength(1);
      expect(first[0]).toMatchObject({
        link: '/catalog/default/component/billing/deployments',
        severity: 'high',
        topic: 'deployment-quality:deploymentFailed',
      });
      expect(first[0].title).toMatch(
        /^billing: 1\.0\.\d failed to deploy on Production EU/,
      );

      // When the window closes, the same notification carries the count.
      const updated = await until(
        () => inbox(ALICE),
        list => list.some(n => n.title.includes('(5 times)')),
      );
      expect(updated).toHaveLength(1);
      expect(updated[0].title).toMatch(/\(5 times\)$/);
      expect(updated[0].description).toContain('image pull failed');
      expect(await inbox(BOB)).toEqual([]);
    });

    it('tells the owners when a build fails its gate', async () => {
      await send(
        webhookDeployment({
          clusterId: 'stage-eu',
          serviceId: 'vault',
          buildVersion: '2.0.0',
          status: 'SUCCESS',
          runNumber: 1,
        }),
      );
      await send({
        source: 'github-actions',
        eventType: 'test-result',
        payload: {
          clusterId: 'stage-eu',
          serviceId: 'vault',
          buildVersion: '2.0.0',
          suiteType: 'FUNCTIONAL',
          total: 100,
          passed: 80,
          failed: 20,
          skipped: 0,
          durationSec: 60,
          executedAt: '2026-02-24T09:20:00Z',
        },
      });
      const listed = await until(
        () => inbox(BOB),
        list => list.some(n => n.topic === 'deployment-quality:gateFailed'),
      );
      const gate = listed.find(
        n => n.topic === 'deployment-quality:gateFailed',
      );
      expect(gate).toMatchObject({
        title: 'vault: the gate of 2.0.0 fails on stage-eu',
        description:
          'FUNCTIONAL passed 80 % (threshold 90 %); required suite SANITY has not run.',
        link: '/catalog/default/component/vault/quality',
      });
      expect(
        (await inbox(ALICE)).filter(
          n => n.topic === 'deployment-quality:gateFailed',
        ),
      ).toEqual([]);
    });

    it('tells of no gate failing only through quarantined tests', async () => {
      const build = async (buildVersion: string, failing: string) => {
        await send(
          webhookDeployment({
            clusterId: 'stage-eu',
            serviceId: 'vault',
            buildVersion,
            status: 'SUCCESS',
            runNumber: 1,
          }),
        );
        for (const [suiteType, cases] of [
          [
            'FUNCTIONAL',
            `<testcase classname="Vault" name="seals">${
              failing === 'seals' ? '<failure/>' : ''
            }</testcase><testcase classname="Vault" name="opens">${
              failing === 'opens' ? '<failure/>' : ''
            }</testcase>`,
          ],
          ['SANITY', '<testcase classname="Vault" name="boots"/>'],
        ]) {
          await request(backends.server)
            .post(
              `/api/deployment-quality/ingest/test-reports?clusterId=stage-eu&serviceId=vault&buildVersion=${buildVersion}&suiteType=${suiteType}`,
            )
            .set('X-Webhook-Secret', WEBHOOK_SECRET)
            .set('Content-Type', 'application/xml')
            .send(
              `<testsuite name="api" timestamp="2026-02-24T09:20:00Z">${cases}</testsuite>`,
            )
            .expect(202);
        }
      };
      // 2.1.0 fails only `seals` (quarantined); 2.1.1 fails `opens`.
      await build('2.1.0', 'seals');
      await build('2.1.1', 'opens');
      const gates = await until(
        async () =>
          (
            await inbox(BOB)
          ).filter(
            n =>
              n.topic === 'deployment-quality:gateFailed' &&
              /2\.1\./.test(n.title),
          ),
        list => list.length > 0,
      );
      // Two more polls of the notifier: 2.1.0, queued first, stays quiet.
      await new Promise(resolve => setTimeout(resolve, 2500));
      expect(
        (await inbox(BOB))
          .filter(n => n.topic === 'deployment-quality:gateFailed')
          .map(n => n.title)
          .filter(title => /2\.1\./.test(title)),
      ).toEqual(['vault: the gate of 2.1.1 fails on stage-eu']);
      expect(gates).toHaveLength(1);
    });
  },
);
