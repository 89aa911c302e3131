import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
} from '@backstage/backend-test-utils';
import { BOUNDS } from '@deployment-quality/plugin-deployment-quality-common';
import request from 'supertest';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { testResultEvent, webhookDeployment } from '../__testUtils__/events';
import {
  BASE,
  SECRET,
  startPluginBackend,
} from '../__testUtils__/pluginBackend';
import { SqsConsumer } from '../queue/SqsConsumer';

// A test run dated 9999 was forever the "latest run" of its suite: it
// pinned GET /gates as passed whatever real runs came later, and retention
// never removed it. Times are now bounded by the time of receipt plus a
// small clock skew, on every path that takes events.

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const ATTEMPT = 'mira-us-west-2:authn:3.4.3:7';
const FAR_FUTURE = '9999-12-31T23:59:59Z';
const SKEW_MS = BOUNDS.defaultFutureSkewSeconds * 1000;

const run = (executedAt: string, passed: number) => ({
  source: 'github-actions',
  eventType: 'test-result',
  payload: {
    attemptId: ATTEMPT,
    suiteType: 'FUNCTIONAL',
    total: 10,
    passed,
    failed: 10 - passed,
    skipped: 0,
    durationSec: 30,
    executedAt,
  },
});

const minutesFromNow = (m: number) =>
  new Date(Date.now() + m * 60_000).toISOString();

describe.each(databases.eachSupportedId())(
  'times past the clock skew on %p',
  (databaseId: TestDatabaseId) => {
    let backend: Awaited<ReturnType<typeof startPluginBackend>>;
    beforeAll(async () => {
      backend = await startPluginBackend(databases, databaseId);
    });
    afterAll(() => backend?.stop());

    const post = (body: object) =>
      request(backend.server)
        .post(`${BASE}/ingest/webhook`)
        .set('X-Webhook-Secret', SECRET)
        .send(body);
    const gate = async () =>
      (
        await request(backend.server)
          .get(
            `${BASE}/gates?serviceId=authn&clusterId=mira-us-west-2&buildVersion=3.4.3`,
          )
          .expect(200)
      ).body;

    it('refuses a test run dated 9999, so a later real run decides the gate', async () => {
      await post(webhookDeployment()).expect(202);
      await post(run(minutesFromNow(-60), 5)).expect(202);

      const future = await post(run(FAR_FUTURE, 10)).expect(400);
      expect(future.body.problems).toEqual([
        { path: 'payload.executedAt', message: expect.any(String) },
      ]);
      const batch = await post({ events: [run(FAR_FUTURE, 10)] }).expect(400);
      expect(batch.body.results).toEqual([
        {
          status: 'rejected',
          problems: [
            { path: 'payload.executedAt', message: expect.any(String) },
          ],
        },
      ]);
      expect(
        Number(
          (
            await backend
              .knex('dq_test_runs')
              .where('executed_at', '>', Date.now() + SKEW_MS)
              .count({ n: '*' })
          )[0].n,
        ),
      ).toBe(0);

      // The real run of an hour ago is the latest: the gate fails on it.
      expect(await gate()).toMatchObject({
        passed: false,
        suites: [{ suite: 'FUNCTIONAL', passed: 5, total: 10 }],
      });
      // A real run after it decides: a clock a few minutes ahead is fine.
      await post(run(minutesFromNow(5), 10)).expect(202);
      expect(await gate()).toMatchObject({
        passed: true,
        suites: [{ suite: 'FUNCTIONAL', passed: 10, total: 10 }],
      });
    });

    it('refuses a deployment or a promotion from the future, naming each late time', async () => {
      const late = minutesFromNow(SKEW_MS / 60_000 + 5);
      const deployment = await post(
        webhookDeployment({
          runNumber: 8,
          startedAt: late,
          endedAt: late,
          commitAt: late,
        }),
      ).expect(400);
      expect(
        deployment.body.problems.map((p: { path: string }) => p.path).sort(),
      ).toEqual(['payload.commitAt', 'payload.endedAt', 'payload.startedAt']);
      const promotion = await post({
        source: 'argocd',
        eventType: 'promotion',
        payload: {
          serviceId: 'authn',
          buildVersion: '3.4.3',
          fromClusterId: 'mira-us-west-2',
          toClusterId: 'pavo-us-east-1',
          promotedBy: 'alice',
          promotedAt: FAR_FUTURE,
        },
      }).expect(400);
      expect(promotion.body.problems).toEqual([
        { path: 'payload.promotedAt', message: expect.any(String) },
      ]);
    });

    it('refuses the same on the queue: a late time, or a late receivedAt', async () => {
      const { knex, store } = await createTestStore(databases, databaseId);
      const consumer = new SqsConsumer({
        // Only deletes reach the client here.
        client: { send: async () => ({}) } as any,
        queueUrl: 'https://sqs.us-west-2.amazonaws.com/1/q',
        store,
        logger: mockServices.logger.mock(),
        waitTimeSeconds: 0,
        maxMessages: 10,
        visibilityTimeoutSeconds: 30,
        pollers: 1,
      });
      const message = (body: object, i: number) => ({
        MessageId: `m-${i}`,
        ReceiptHandle: `r-${i}`,
        Body: JSON.stringify(body),
      });
      const outcome = await consumer.processBatch([
        message(testResultEvent({ executedAt: FAR_FUTURE }), 1),
        message(
          { ...testResultEvent(), receivedAt: '9999-01-01T00:00:00.000Z' },
          2,
        ),
        message(testResultEvent({ executedAt: minutesFromNow(5) }), 3),
      ]);
      expect(outcome).toMatchObject({ stored: 1, rejected: 2, retried: 0 });
      const stored = await knex('dq_test_runs').select('executed_at');
      expect(stored.map(r => Number(r.executed_at))).toEqual([
        expect.any(Number),
      ]);
      expect(Number(stored[0].executed_at)).toBeLessThan(Date.now() + SKEW_MS);
    });
  },
);
