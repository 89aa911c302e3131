import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import sourceAdapters from '@deployment-quality/plugin-deployment-quality-backend-module-sources';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import request from 'supertest';
import { testDatabaseIds } from '../__testUtils__/databases';
import { webhookDeployment } from '../__testUtils__/events';
import { BASE } from '../__testUtils__/pluginBackend';
import { deploymentQualityPlugin } from '../plugin';

jest.setTimeout(60_000);

const RUNAWAY = 'runaway-key-secret-0123456789';
const STEADY = 'steady-key-secret-0123456789';
const GITHUB = 'github-webhook-secret-0123456789';

const githubFixture = (name: string) =>
  readFileSync(
    resolve(
      dirname(
        require.resolve(
          '@deployment-quality/plugin-deployment-quality-backend-module-sources/package.json',
        ),
      ),
      'src/__fixtures__/github',
      name,
    ),
    'utf8',
  );

// Only Date is faked: the backend's own timers, sockets and pools run as usual.
const ALL_BUT_DATE = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

const databases = TestDatabases.create({ ids: testDatabaseIds() });

describe.each(databases.eachSupportedId())(
  'per-key rate limits on %p',
  (databaseId: TestDatabaseId) => {
    let backend: Awaited<ReturnType<typeof startTestBackend>>;
    let knex: Awaited<ReturnType<typeof databases.init>>;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      backend = await startTestBackend({
        features: [
          deploymentQualityPlugin,
          sourceAdapters,
          mockServices.database.factory({ knex }),
          catalogServiceMock.factory({ entities: [] }),
          mockServices.rootConfig.factory({
            data: {
              deploymentQuality: {
                retention: { days: 36500 },
                ingestion: {
                  webhook: {
                    rateLimit: { perMinute: 1000 },
                    keys: [
                      { name: 'runaway', secret: RUNAWAY, perMinute: 3 },
                      { name: 'steady', secret: STEADY },
                    ],
                  },
                },
                sources: {
                  github: {
                    secrets: [{ name: 'gh', secret: GITHUB, perMinute: 1 }],
                  },
                },
              },
            },
          }),
        ],
      });
      jest.useFakeTimers({ doNotFake: [...ALL_BUT_DATE] });
    });
    afterEach(async () => {
      jest.useRealTimers();
      await backend.stop();
    });

    const count = async (table: string) =>
      Number((await knex(table).count({ n: '*' }))[0].n);

    const webhook = (secret: string, body: object) =>
      request(backend.server)
        .post(`${BASE}/ingest/webhook`)
        .set('X-Webhook-Secret', secret)
        .send(body);
    let run = 0;
    const valid = () => webhookDeployment({ runNumber: ++run });

    it('answers 429 with Retry-After past a key’s rate, stores and records nothing, and accepts again once refilled', async () => {
      const start = Date.now();
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await webhook(RUNAWAY, valid())).status);
      }
      // Refused even though its body is invalid: nothing is recorded.
      const limited = await webhook(
        RUNAWAY,
        webhookDeployment({ status: 'NOPE' }),
      );
      statuses.push(limited.status);
      expect(statuses).toEqual([202, 202, 202, 429]);
      // 3 per minute: the next request fits in 20 s.
      expect(limited.headers['retry-after']).toBe('20');
      expect(limited.body).toEqual({
        error: {
          name: 'TooManyRequestsError',
          message: expect.stringContaining('3 requests per minute'),
        },
        request: { method: 'POST', url: `${BASE}/ingest/webhook` },
        response: { statusCode: 429 },
      });
      await webhook(RUNAWAY, valid()).expect(429);

      // Another key is unaffected.
      for (let i = 0; i < 5; i++) await webhook(STEADY, valid()).expect(202);

      // Test reports share the key's budget.
      const report = await request(backend.server)
        .post(
          `${BASE}/ingest/test-reports?clusterId=mira-us-west-2&serviceId=authn&buildVersion=3.4.3`,
        )
        .set('X-Webhook-Secret', RUNAWAY)
        .set('Content-Type', 'application/xml')
        .send(
          '<testsuite name="smoke" tests="1"><testcase name="a"/></testsuite>',
        )
        .expect(429);
      expect(Number(report.headers['retry-after'])).toBe(20);

      expect(await count('dq_attempts')).toBe(8);
      expect(await count('dq_test_runs')).toBe(0);
      expect(await count('dq_rejected_events')).toBe(0);

      jest.setSystemTime(start + 19_000);
      const almost = await webhook(RUNAWAY, valid()).expect(429);
      expect(almost.headers['retry-after']).toBe('1');
      jest.setSystemTime(start + 20_000);
      await webhook(RUNAWAY, valid()).expect(202);
      await webhook(RUNAWAY, valid()).expect(429);
      expect(await count('dq_attempts')).toBe(9);
    });

    it('limits each source secret on its own route', async () => {
      const deliver = (raw: string) =>
        request(backend.server)
          .post(`${BASE}/ingest/sources/github`)
          .set('Content-Type', 'application/json')
          .set('X-GitHub-Event', 'workflow_run')
          .set(
            'X-Hub-Signature-256',
            `sha256=${createHmac('sha256', GITHUB).update(raw).digest('hex')}`,
          )
          .send(raw);
      await deliver(githubFixture('workflow_run.requested.json')).expect(202);
      const limited = await deliver('{ not json').expect(429);
      expect(limited.headers['retry-after']).toBe('60');
      expect(limited.body.error.name).toBe('TooManyRequestsError');
      expect(await count('dq_rejected_events')).toBe(0);
      // The webhook keys keep their own budgets.
      await webhook(RUNAWAY, valid()).expect(202);
    });
  },
);
