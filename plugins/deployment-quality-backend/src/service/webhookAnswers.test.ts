import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { testDatabaseIds } from '../__testUtils__/databases';
import { webhookDeployment } from '../__testUtils__/events';
import { LocalSqs, eventually, startLocalSqs } from '../__testUtils__/localSqs';
import {
  BASE,
  SECRET,
  startPluginBackend,
} from '../__testUtils__/pluginBackend';

// What a CI author copies from the docs must work as written: a test result
// without `executedAt` is dated by its receipt (and a retry of it is still
// one event), and the answer to a deployment names the attempt it is stored
// under, so the CI can post its test results by `attemptId`.

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const STARTED_AT = '2026-02-24T09:00:00Z';
/** The id derived for a deployment without attemptId or runNumber. */
const DERIVED_ID = `mira-us-west-2:authn:3.4.3:${
  Date.parse(STARTED_AT) / 1000
}`;

/** A deployment of authn 3.4.3 without `runNumber`. */
const unnumbered = (payload: Record<string, unknown> = {}) =>
  webhookDeployment({
    runNumber: undefined,
    startedAt: STARTED_AT,
    ...payload,
  });

/** The architecture document's test-result example: no `executedAt`. */
const undatedTestResult = (attemptId: string, suiteType = 'SANITY') => ({
  source: 'github-actions',
  eventType: 'test-result',
  payload: {
    attemptId,
    suiteType,
    total: 30,
    passed: 30,
    failed: 0,
    skipped: 0,
    durationSec: 12,
  },
});

/** A retry comes later: its receipt time differs, its event id must not. */
const later = () => new Promise(resolve => setTimeout(resolve, 5));

/** Each stored run of the suite with the receipt time of its event. */
async function storedRuns(knex: Knex, suiteType: string) {
  const rows = await knex('dq_test_runs')
    .join(
      'dq_ingested_events',
      'dq_ingested_events.event_id',
      'dq_test_runs.event_id',
    )
    .where('dq_test_runs.suite_type', suiteType)
    .select(
      'dq_test_runs.attempt_id',
      'dq_test_runs.executed_at',
      'dq_ingested_events.received_at',
    );
  return rows.map(r => ({
    attemptId: r.attempt_id,
    executedAt: Number(r.executed_at),
    receivedAt: Number(r.received_at),
  }));
}

describe.each(databases.eachSupportedId())(
  'webhook answers for CI on %p',
  (databaseId: TestDatabaseId) => {
    describe('embedded mode', () => {
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

      it('answers a deployment with the attempt it is stored under, however it is named', async () => {
        const derived = await post(unnumbered()).expect(202);
        expect(derived.body).toEqual({
          eventId: expect.any(String),
          status: 'stored',
          attemptId: DERIVED_ID,
        });
        const numbered = await post(
          webhookDeployment({ runNumber: 41 }),
        ).expect(202);
        expect(numbered.body.attemptId).toBe('mira-us-west-2:authn:3.4.3:41');
        const named = await post(
          webhookDeployment({ attemptId: 'gha-run-77' }),
        ).expect(202);
        expect(named.body.attemptId).toBe('gha-run-77');
        // A duplicate is stored under the same attempt: it says so again.
        expect((await post(unnumbered()).expect(202)).body).toEqual({
          ...derived.body,
          duplicate: true,
        });

        for (const id of [DERIVED_ID, 'gha-run-77']) {
          const build = await request(backend.server)
            .get(`${BASE}/builds/${encodeURIComponent(id)}`)
            .expect(200);
          expect(build.body.attempt.id).toBe(id);
        }
      });

      it('answers each deployment of a batch with its attempt, and nothing else with one', async () => {
        const res = await post({
          events: [
            unnumbered({ buildVersion: '3.5.0' }),
            undatedTestResult(DERIVED_ID, 'BATCH'),
            { ...webhookDeployment(), eventId: 'bad', payload: {} },
            // Before the retention window: not stored, so no attempt to name.
            webhookDeployment({
              runNumber: 1,
              startedAt: '1901-01-01T00:00:00Z',
              endedAt: '1901-01-01T00:10:00Z',
            }),
          ],
        }).expect(202);
        expect(res.body.results).toEqual([
          {
            eventId: expect.any(String),
            status: 'stored',
            attemptId: `mira-us-west-2:authn:3.5.0:${
              Date.parse(STARTED_AT) / 1000
            }`,
          },
          { eventId: expect.any(String), status: 'stored' },
          {
            eventId: 'bad',
            status: 'rejected',
            problems: expect.any(Array),
          },
          { eventId: expect.any(String), status: 'stored', expired: true },
        ]);
      });

      it('dates a test result without executedAt by its receipt, and stores a retry of it once', async () => {
        const before = Date.now();
        const first = await post(undatedTestResult(DERIVED_ID)).expect(202);
        const after = Date.now();
        await later();
        const retry = await post(undatedTestResult(DERIVED_ID)).expect(202);
        expect(retry.body).toEqual({ ...first.body, duplicate: true });

        const runs = await storedRuns(backend.knex, 'SANITY');
        expect(runs).toEqual([
          {
            attemptId: DERIVED_ID,
            executedAt: expect.any(Number),
            receivedAt: expect.any(Number),
          },
        ]);
        expect(runs[0].executedAt).toBe(runs[0].receivedAt);
        expect(runs[0].executedAt).toBeGreaterThanOrEqual(before);
        expect(runs[0].executedAt).toBeLessThanOrEqual(after);

        const build = await request(backend.server)
          .get(`${BASE}/builds/${encodeURIComponent(DERIVED_ID)}`)
          .expect(200);
        expect(build.body.testRuns).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              suiteType: 'SANITY',
              executedAt: new Date(runs[0].receivedAt).toISOString(),
            }),
          ]),
        );
      });

      it('dates an undated test report by its receipt, and stores it again as a duplicate', async () => {
        const report = () =>
          request(backend.server)
            .post(
              `${BASE}/ingest/test-reports?attemptId=${encodeURIComponent(
                DERIVED_ID,
              )}`,
            )
            .set('X-Webhook-Secret', SECRET)
            .set('Content-Type', 'application/xml')
            // Surefire writes no timestamp on its <testsuite>.
            .send(
              '<testsuite name="report-smoke" tests="2"><testcase name="a"/><testcase name="b"/></testsuite>',
            );
        const first = await report().expect(202);
        await later();
        const again = await report().expect(202);
        expect(again.body.results).toEqual([
          { ...first.body.results[0], duplicate: true },
        ]);
        // Unmapped and with no `suiteType` asked for: the default type.
        const runs = await storedRuns(backend.knex, 'FUNCTIONAL');
        expect(runs).toHaveLength(1);
        expect(runs[0].executedAt).toBe(runs[0].receivedAt);
      });
    });

    describe('queue mode', () => {
      let sqs: LocalSqs | undefined;
      let backend: Awaited<ReturnType<typeof startPluginBackend>> | undefined;
      afterEach(async () => {
        await backend?.stop();
        await sqs?.stop();
        backend = sqs = undefined;
      });

      it('answers queued deployments with the attempts the consumer stores them under, and dates undated test results by receipt', async () => {
        sqs = await startLocalSqs();
        backend = await startPluginBackend(databases, databaseId, {
          sqs: {
            queueUrl: sqs.queueUrl,
            endpoint: sqs.endpoint,
            region: 'us-east-1',
            waitTimeSeconds: 1,
          },
        });
        const { server, knex } = backend;
        const res = await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', SECRET)
          .send({
            events: [
              unnumbered(),
              webhookDeployment({ attemptId: 'gha-run-78' }),
              undatedTestResult(DERIVED_ID),
            ],
          })
          .expect(202);
        expect(res.body.results).toEqual([
          {
            eventId: expect.any(String),
            status: 'queued',
            attemptId: DERIVED_ID,
          },
          {
            eventId: expect.any(String),
            status: 'queued',
            attemptId: 'gha-run-78',
          },
          { eventId: expect.any(String), status: 'queued' },
        ]);

        // Straight to the queue, without eventId, executedAt or receivedAt,
        // twice: SQS's receipt time dates it, and the body's id makes the
        // second a duplicate.
        const direct = JSON.stringify(undatedTestResult(DERIVED_ID, 'DIRECT'));
        await sqs.send([direct]);
        await later();
        await sqs.send([direct]);

        const stored = async () =>
          Number(
            (await knex('dq_test_runs').count({ n: '*' }).first())?.n ?? 0,
          );
        await eventually(async () => (await stored()) >= 2);
        await eventually(async () => (await sqs!.depth(sqs!.queueUrl)) === 0);
        for (const id of [DERIVED_ID, 'gha-run-78']) {
          await request(server)
            .get(`${BASE}/builds/${encodeURIComponent(id)}`)
            .expect(200);
        }
        for (const suite of ['SANITY', 'DIRECT']) {
          const runs = await storedRuns(knex, suite);
          expect({ suite, runs }).toEqual({
            suite,
            runs: [
              {
                attemptId: DERIVED_ID,
                executedAt: expect.any(Number),
                receivedAt: expect.any(Number),
              },
            ],
          });
          expect(runs[0].executedAt).toBe(runs[0].receivedAt);
        }
      });
    });
  },
);
