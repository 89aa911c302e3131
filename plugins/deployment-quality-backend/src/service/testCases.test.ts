import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import request from 'supertest';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { testResultEvent, webhookDeployment } from '../__testUtils__/events';
import { afterRetention, daysAgo } from '../__testUtils__/retention';
import { ReportedCase, TestCaseStore } from '../database/TestCases';
import {
  BASE,
  SECRET,
  startPluginBackend,
} from '../__testUtils__/pluginBackend';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const ENTITY = `${BASE}/entities/default/component/authentication`;
const WINDOW = 'from=2026-02-01&to=2026-02-28';

type Outcome =
  | 'pass'
  | 'fail'
  | 'skip'
  | { flaky: string[] }
  | { rerunFailed: string[] };

/** A Surefire-style JUnit report of suite `api`, one case per test. */
function junit(executedAt: string, tests: Record<string, Outcome>): string {
  const cases = Object.entries(tests).map(([name, outcome]) => {
    const open = `<testcase classname="com.example.CartTest" name="${name}" time="0.25">`;
    if (outcome === 'pass') return `${open}</testcase>`;
    if (outcome === 'skip') return `${open}<skipped/></testcase>`;
    if (outcome === 'fail') {
      return `${open}<failure message="expected 200 but was 500 at ${executedAt}">trace</failure></testcase>`;
    }
    const [kind, messages] =
      'flaky' in outcome
        ? ['flakyFailure', outcome.flaky]
        : ['rerunFailure', outcome.rerunFailed];
    const reruns = messages
      .map(m => `<${kind} message="${m}" type="AssertionError">s</${kind}>`)
      .join('');
    const final =
      'rerunFailed' in outcome
        ? `<failure message="${messages[messages.length - 1]}"/>`
        : '';
    return `${open}${final}${reruns}</testcase>`;
  });
  return `<testsuite name="api" timestamp="${executedAt}">${cases.join(
    '',
  )}</testsuite>`;
}

describe.each(databases.eachSupportedId())(
  'per-test history and flaky tests on %p',
  (databaseId: TestDatabaseId) => {
    it('stores each report’s cases once and finds retried, rerun and flipping tests, not stable failures', async () => {
      const { server, knex, stop, send } = await startPluginBackend(
        databases,
        databaseId,
      );
      const report = (buildVersion: string, xml: string) =>
        request(server)
          .post(
            `${BASE}/ingest/test-reports?clusterId=mira-us-west-2&serviceId=authn&buildVersion=${buildVersion}`,
          )
          .set('X-Webhook-Secret', SECRET)
          .set('Content-Type', 'application/xml')
          .send(xml);
      const count = async (table: string) =>
        Number((await knex(table).count({ n: '*' }).first())?.n);
      try {
        // 1.0.1 deployed three times: each of its reports tests another
        // attempt of the same version.
        for (const [buildVersion, runNumber, day] of [
          ['1.0.0', 1, '02'],
          ['1.0.1', 2, '05'],
          ['1.0.1', 3, '06'],
          ['1.0.1', 4, '07'],
          ['1.0.2', 5, '10'],
        ] as const) {
          await send(
            webhookDeployment({
              buildVersion,
              runNumber,
              startedAt: `2026-02-${day}T08:00:00Z`,
              endedAt: `2026-02-${day}T08:10:00Z`,
            }),
          ).expect(202);
        }
        // 1.0.0: everything passes, `stable` too.
        const first = junit('2026-02-02T09:00:00', {
          ok: 'pass',
          stable: 'pass',
          flipper: 'pass',
          retried: 'pass',
          skippy: 'skip',
        });
        await report('1.0.0', first).expect(202);
        // The same report again is the same events: its cases stay once.
        const again = await report('1.0.0', first).expect(202);
        expect(again.body.results[0]).toMatchObject({ duplicate: true });
        // 1.0.1: `stable` fails on every run (not flaky); `flipper` fails,
        // passes, fails; `retried` passes after two failed retries.
        await report(
          '1.0.1',
          junit('2026-02-05T09:00:00', {
            ok: 'pass',
            stable: 'fail',
            flipper: 'fail',
            retried: {
              flaky: [
                'Timeout after 5012 ms on 10.0.3.7',
                'Timeout after 4987 ms on 10.0.3.9',
              ],
            },
            skippy: 'skip',
          }),
        ).expect(202);
        await report(
          '1.0.1',
          junit('2026-02-06T09:00:00', {
            ok: 'pass',
            stable: 'fail',
            flipper: 'pass',
            retried: 'pass',
            skippy: 'skip',
          }),
        ).expect(202);
        await report(
          '1.0.1',
          junit('2026-02-07T09:00:00', {
            ok: 'pass',
            stable: 'fail',
            flipper: 'fail',
            retried: 'pass',
            skippy: 'skip',
          }),
        ).expect(202);
        // 1.0.2: `rerun` fails every retry of one report and passes in the
        // next report of the same attempt.
        await report(
          '1.0.2',
          junit('2026-02-10T09:00:00', {
            ok: 'pass',
            stable: 'pass',
            rerun: { rerunFailed: ['connection reset', 'connection reset'] },
          }),
        ).expect(202);
        await report(
          '1.0.2',
          junit('2026-02-10T10:00:00', {
            ok: 'pass',
            stable: 'pass',
            rerun: 'pass',
          }),
        ).expect(202);

        expect(await count('dq_test_run_cases')).toBe(6);
        expect(await count('dq_test_runs')).toBe(6);
        // Two sets of tests: with and without `rerun` / `flipper`, `retried`, `skippy`.
        expect(await count('dq_test_case_sets')).toBe(2);
        expect(await count('dq_test_cases')).toBe(6);

        const flaky = await request(server)
          .get(`${ENTITY}/tests/flaky?${WINDOW}`)
          .expect(200);
        expect(flaky.body.filter).toEqual({
          serviceId: 'authn',
          from: '2026-02-01T00:00:00.000Z',
          to: '2026-03-01T00:00:00.000Z',
          flipWindow: 5,
        });
        const byName = Object.fromEntries(
          flaky.body.tests.map((t: { name: string }) => [t.name, t]),
        );
        expect(Object.keys(byName).sort()).toEqual([
          'flipper',
          'rerun',
          'retried',
        ]);
        expect(byName.rerun).toMatchObject({
          suite: 'api',
          className: 'com.example.CartTest',
          suiteType: 'FUNCTIONAL',
          runs: 2,
          flakyRuns: 1,
          flakeRate: 0.5,
          evidence: [
            {
              kind: 'rerun',
              buildVersion: '1.0.2',
              clusterId: 'mira-us-west-2',
              attemptId: expect.stringContaining('1.0.2'),
              signature: 'connection reset',
            },
          ],
        });
        expect(byName.flipper).toMatchObject({
          runs: 4,
          flakyRuns: 2,
          flakeRate: 0.5,
          firstSeen: '2026-02-05T09:00:00.000Z',
          lastSeen: '2026-02-07T09:00:00.000Z',
        });
        expect(
          byName.flipper.evidence.map((e: { kind: string }) => e.kind),
        ).toEqual(['flip', 'flip']);
        expect(byName.retried).toMatchObject({
          runs: 4,
          flakyRuns: 1,
          flakeRate: 0.25,
          evidence: [
            { kind: 'retry', signature: 'Timeout after <n> ms on <ip>' },
          ],
        });
        // Flakiest first, then by flaky runs.
        expect(flaky.body.tests.map((t: { name: string }) => t.name)).toEqual([
          'flipper',
          'rerun',
          'retried',
        ]);

        // The build detail lists its failed tests, linked to the Component.
        const build = await request(server)
          .get(
            `${BASE}/builds/${encodeURIComponent(
              'mira-us-west-2:authn:1.0.2:5',
            )}`,
          )
          .expect(200);
        expect(build.body.entityRef).toBe('component:default/authentication');
        expect(build.body.failedTests).toEqual([
          {
            caseId: byName.rerun.caseId,
            suite: 'api',
            className: 'com.example.CartTest',
            name: 'rerun',
            suiteType: 'FUNCTIONAL',
            status: 'failed',
            retries: 2,
            message: 'connection reset',
            signature: 'connection reset',
            executedAt: '2026-02-10T09:00:00.000Z',
          },
        ]);

        // One test's history: newest first, with its signatures.
        const history = await request(server)
          .get(
            `${ENTITY}/tests/cases/${byName.flipper.caseId}?${WINDOW}&limit=3`,
          )
          .expect(200);
        expect(history.body.test).toEqual({
          caseId: byName.flipper.caseId,
          suite: 'api',
          className: 'com.example.CartTest',
          name: 'flipper',
        });
        expect(
          history.body.outcomes.map(
            (o: {
              status: string;
              flaky: string | null;
              buildVersion: string;
            }) => [o.buildVersion, o.status, o.flaky],
          ),
        ).toEqual([
          ['1.0.1', 'failed', 'flip'],
          ['1.0.1', 'passed', null],
          ['1.0.1', 'failed', 'flip'],
        ]);
        expect(history.body.outcomes[0]).toMatchObject({
          durationMs: 250,
          retries: 0,
          executedAt: '2026-02-07T09:00:00.000Z',
          message: 'expected 200 but was 500 at 2026-02-07T09:00:00',
        });
        expect(history.body.signatures).toEqual([
          {
            signature: 'expected <n> but was <n> at <time>',
            runs: 2,
            lastSeen: '2026-02-07T09:00:00.000Z',
            message: 'expected 200 but was 500 at 2026-02-07T09:00:00',
          },
        ]);

        // The stable failure's history: failed on each run of 1.0.1, never flaky.
        const stable = await knex('dq_test_cases')
          .where('name', 'stable')
          .first('id');
        const stableHistory = await request(server)
          .get(`${ENTITY}/tests/cases/${stable.id}?${WINDOW}`)
          .expect(200);
        expect(
          stableHistory.body.outcomes.map((o: { flaky: unknown }) => o.flaky),
        ).toEqual([null, null, null, null, null, null]);

        // Not a test of this service in the window; not an id.
        await request(server)
          .get(
            `${ENTITY}/tests/cases/${stable.id}?from=2026-01-01&to=2026-01-31`,
          )
          .expect(404);
        await request(server)
          .get(`${ENTITY}/tests/cases/999999?${WINDOW}`)
          .expect(404);
        const bad = await request(server)
          .get(`${ENTITY}/tests/cases/abc?${WINDOW}`)
          .expect(400);
        expect(bad.body.error.message).toContain('caseId');
        await request(server)
          .get(`${BASE}/entities/default/component/ghost/tests/flaky`)
          .expect(404);
      } finally {
        await stop();
      }
    });

    it('computes the change failure rate with and without failures only flaky or quarantined tests caused', async () => {
      const { server, stop, send } = await startPluginBackend(
        databases,
        databaseId,
        {
          config: {
            gates: {
              quarantine: [
                {
                  serviceId: 'authn',
                  suite: 'api',
                  className: 'Net',
                  name: 'quar',
                },
              ],
            },
          },
        },
      );
      try {
        const builds: Array<[string, number, string, string, string]> = [
          // version, run, day, status, the failing test ('' none)
          ['2.0.0', 1, '02', 'SUCCESS', ''],
          ['2.0.1', 2, '03', 'FAILED', 'net'], // net is flaky: noise
          ['2.0.2', 3, '04', 'FAILED', 'db'], // db fails for real
          ['2.0.3', 4, '05', 'ROLLBACK', 'quar'], // quarantined: noise
          ['2.0.4', 5, '06', 'FAILED', ''], // no failed test: counts
        ];
        for (const [buildVersion, runNumber, day, status, failing] of builds) {
          await send(
            webhookDeployment({
              buildVersion,
              runNumber,
              status,
              startedAt: `2026-02-${day}T08:00:00Z`,
              endedAt: `2026-02-${day}T08:10:00Z`,
            }),
          ).expect(202);
          const test = (name: string) =>
            `<testcase classname="Net" name="${name}">${
              failing === name ? '<failure message="boom"/>' : ''
            }${
              buildVersion === '2.0.0' && name === 'net'
                ? '<flakyFailure message="reset"/>'
                : ''
            }</testcase>`;
          await request(server)
            .post(
              `${BASE}/ingest/test-reports?clusterId=mira-us-west-2&serviceId=authn&buildVersion=${buildVersion}`,
            )
            .set('X-Webhook-Secret', SECRET)
            .set('Content-Type', 'application/xml')
            .send(
              `<testsuite name="api" timestamp="2026-02-${day}T09:00:00">${[
                'net',
                'db',
                'quar',
              ]
                .map(test)
                .join('')}</testsuite>`,
            )
            .expect(202);
        }
        const flaky = await request(server)
          .get(`${ENTITY}/tests/flaky?${WINDOW}`)
          .expect(200);
        expect(flaky.body.tests.map((t: { name: string }) => t.name)).toEqual([
          'net',
        ]);
        expect(flaky.body.changeFailures).toEqual({
          failures: 4,
          finished: 5,
          rate: 0.8,
          testNoise: 2,
          rateWithoutTestNoise: 0.4,
          noise: [
            {
              attemptId: 'mira-us-west-2:authn:2.0.3:4',
              clusterId: 'mira-us-west-2',
              buildVersion: '2.0.3',
              status: 'ROLLBACK',
              endedAt: '2026-02-05T08:10:00.000Z',
              tests: ['quar'],
            },
            {
              attemptId: 'mira-us-west-2:authn:2.0.1:2',
              clusterId: 'mira-us-west-2',
              buildVersion: '2.0.1',
              status: 'FAILED',
              endedAt: '2026-02-03T08:10:00.000Z',
              tests: ['net'],
            },
          ],
        });
        // The DORA figure the analytics answer for the same window.
        const analytics = await request(server)
          .get(`${ENTITY}/analytics?${WINDOW}`)
          .expect(200);
        expect(analytics.body.dora.changeFailureRate).toBe(0.8);
      } finally {
        await stop();
      }
    });

    it('stores a report whatever its tests are named or claim: NUL, lone surrogates, absurd retries', async () => {
      const { server, knex, stop } = await startPluginBackend(
        databases,
        databaseId,
      );
      try {
        await request(server)
          .post(
            `${BASE}/ingest/test-reports?clusterId=mira-us-west-2&serviceId=authn&buildVersion=1.0.0`,
          )
          .set('X-Webhook-Secret', SECRET)
          .set('Content-Type', 'application/json')
          .send({
            results: {
              tool: { name: 'odd' },
              tests: [
                {
                  name: 'nul\u0000name \ud800',
                  status: 'failed',
                  suite: ['s\u0000uite'],
                  retries: 1e12,
                  duration: 5,
                  message: 'boom\u0000 \udc00',
                },
              ],
            },
          })
          .expect(202);
        expect(
          await knex('dq_test_cases').select('suite', 'class_name', 'name'),
        ).toEqual([
          {
            suite: 's\ufffduite',
            class_name: 's\ufffduite',
            name: 'nul\ufffdname \ufffd',
          },
        ]);
        expect(
          await knex('dq_test_case_failures').select('retries', 'message'),
        ).toEqual([{ retries: 1000, message: 'boom\ufffd \ufffd' }]);
      } finally {
        await stop();
      }
    });

    it('reuses a service’s flaky list for the rest of its 30-second slot, per window and quarantine', async () => {
      const { knex } = await createTestStore(databases, databaseId);
      const cases = new TestCaseStore(knex);
      const compute = jest.spyOn(cases as any, 'computeFlaky');
      const now = jest.spyOn(Date, 'now');
      try {
        const window = { from: 0, to: Date.parse('2026-03-01') };
        now.mockReturnValue(Date.parse('2026-03-01T00:00:05Z'));
        const first = await cases.flaky('authn', window, 5);
        expect(await cases.flaky('authn', window, 5)).toBe(first);
        expect(compute).toHaveBeenCalledTimes(1);
        await cases.flaky('authn', window, 5, new Set([7]));
        await cases.flaky('authn', { ...window, from: 1 }, 5);
        expect(compute).toHaveBeenCalledTimes(3);
        // The next slot computes again.
        now.mockReturnValue(Date.parse('2026-03-01T00:00:31Z'));
        await cases.flaky('authn', window, 5);
        expect(compute).toHaveBeenCalledTimes(4);
      } finally {
        now.mockRestore();
      }
    });

    it('retention takes the cases of the runs it deletes, keeps those of runs kept, and drops sets no run uses', async () => {
      const { knex, store } = await createTestStore(databases, databaseId);
      const cases = new TestCaseStore(knex);
      const test = (name: string, failed = false): ReportedCase => ({
        suite: 'api',
        className: 'Cart',
        name,
        status: failed ? 'failed' : 'passed',
        durationMs: 5,
        retries: 0,
        ...(failed ? { message: 'boom' } : {}),
      });
      // An old run, a recent one, and old cases whose run never came.
      for (const [eventId, age, names] of [
        ['old', 200, ['a', 'b']],
        ['recent', 5, ['a', 'c']],
        ['orphan', 150, ['a', 'b']],
      ] as const) {
        if (eventId !== 'orphan') {
          await store.ingest(
            testResultEvent(
              {
                attemptId: `mira-us-west-2:authn:1.0.${age}:1`,
                executedAt: daysAgo(age),
              },
              eventId,
            ),
          );
        }
        await cases.write([
          {
            eventId,
            executedAt: Date.parse(daysAgo(age)),
            cases: names.map(n => test(n, true)),
          },
        ]);
      }
      const { deleted, kept } = await afterRetention(store, knex, {
        days: 30,
        table: 'dq_test_run_cases',
        key: 'event_id',
        time: 'executed_at',
      });
      expect(deleted.testCases).toBe(2);
      expect(kept).toEqual([['recent', 5]]);
      expect(
        await knex('dq_test_case_failures').orderBy('id').pluck('event_id'),
      ).toEqual(['recent', 'recent']);
      expect(
        Number((await knex('dq_test_case_sets').count({ n: '*' }).first())?.n),
      ).toBe(1);
    });
  },
);
