import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { deploymentQualitySourcesExtensionPoint } from '@deployment-quality/plugin-deployment-quality-node';
import sourceAdapters from '@deployment-quality/plugin-deployment-quality-backend-module-sources';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import request from 'supertest';
import { testDatabaseIds } from '../__testUtils__/databases';
import { serviceEntity } from '../__testUtils__/entities';
import {
  GeneratedReport,
  SuiteKind,
  jestJunitReport,
  surefireReport,
} from '../__testUtils__/testReports';
import { MAX_LISTED_PROBLEMS } from '../ingestion/problems';
import { deploymentQualityPlugin } from '../plugin';
import { OpenApiChecker } from '../schema/__testUtils__/openApiChecker';

jest.setTimeout(60_000);

const BASE = '/api/deployment-quality';
const GITHUB_SECRET = 'github-webhook-secret-0123456789';
const ARGO_SECRET = 'argocd-shared-secret-0123456789';
const WEBHOOK_SECRET = 'webhook-key-secret-0123456789';

/** The sources package's fixtures, built from published payloads. */
const fixtures = resolve(
  dirname(
    require.resolve(
      '@deployment-quality/plugin-deployment-quality-backend-module-sources/package.json',
    ),
  ),
  'src/__fixtures__',
);
const fixture = (path: string) =>
  JSON.parse(readFileSync(resolve(fixtures, path), 'utf8'));
const reportFixture = (name: string) =>
  readFileSync(resolve(__dirname, '../reports/__fixtures__', name), 'utf8');

/** A repository entity that reports under its own service id. */
const helloWorld = serviceEntity('hello-world', { serviceId: 'hello' });
helloWorld.metadata.annotations = {
  ...helloWorld.metadata.annotations,
  'github.com/project-slug': 'Codertocat/Hello-World',
};

/** A third party's adapter: `{ app, ok }` → a deployment of build 1.0.0. */
const customModule = createBackendModule({
  pluginId: 'deployment-quality',
  moduleId: 'source-custom',
  register(reg) {
    reg.registerInit({
      deps: { sources: deploymentQualitySourcesExtensionPoint },
      async init({ sources }) {
        sources.addSourceAdapter({
          id: 'custom',
          authentication: { type: 'shared-secret' },
          map: ({ body }) => {
            const { app, ok } = body as { app: string; ok: boolean };
            return {
              kind: 'events',
              events: [
                {
                  source: 'custom',
                  eventType: 'deployment',
                  eventId: `custom:${app}`,
                  payload: {
                    clusterId: 'mira-us-west-2',
                    serviceId: app,
                    buildVersion: '1.0.0',
                    gitSha: 'abcdef1',
                    status: ok ? 'SUCCESS' : 'FAILED',
                    startedAt: '2026-02-24T09:00:00Z',
                    endedAt: '2026-02-24T09:05:00Z',
                    trigger: 'manual',
                    runNumber: 1,
                  },
                },
              ],
            };
          },
        });
      },
    });
  },
});

const databases = TestDatabases.create({ ids: testDatabaseIds() });

async function startBackend(databaseId: TestDatabaseId) {
  const knex = await databases.init(databaseId);
  const backend = await startTestBackend({
    features: [
      deploymentQualityPlugin,
      sourceAdapters,
      customModule,
      mockServices.database.factory({ knex }),
      catalogServiceMock.factory({ entities: [helloWorld] }),
      mockServices.rootConfig.factory({
        data: {
          deploymentQuality: {
            // The fixtures are published examples, years old.
            retention: { days: 36500 },
            ingestion: {
              webhook: { keys: [{ name: 'ci', secret: WEBHOOK_SECRET }] },
              testReports: {
                suites: [
                  { name: 'pytest', suiteType: 'functional' },
                  // Surefire's integration tests and smoke package.
                  { pattern: '*IT', suiteType: 'REGRESSION' },
                  { pattern: 'com.example.smoke.*', suiteType: 'SANITY' },
                  // jest-junit's suites are test files.
                  { pattern: 'e2e/*', suiteType: 'REGRESSION' },
                  { pattern: 'smoke/*', suiteType: 'SANITY' },
                ],
              },
            },
            sources: {
              github: {
                secrets: [
                  { name: 'old', secret: 'retired-github-secret-0123' },
                  { name: 'current', secret: GITHUB_SECRET },
                ],
                environments: [
                  { environment: 'production', clusterId: 'aquila-us-east-1' },
                ],
              },
              argocd: { secrets: [{ name: 'argo', secret: ARGO_SECRET }] },
              custom: { secrets: [{ name: 'custom', secret: ARGO_SECRET }] },
            },
          },
        },
      }),
    ],
  });
  return { server: backend.server, knex, stop: () => backend.stop() };
}

const sign = (raw: string, secret = GITHUB_SECRET) =>
  `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

describe.each(databases.eachSupportedId())(
  'source routes on %p',
  (databaseId: TestDatabaseId) => {
    let backend: Awaited<ReturnType<typeof startBackend>>;
    beforeEach(async () => {
      backend = await startBackend(databaseId);
    });
    afterEach(() => backend.stop());

    const github = (body: object, event: string, signature?: string) => {
      const raw = JSON.stringify(body);
      return request(backend.server)
        .post(`${BASE}/ingest/sources/github`)
        .set('Content-Type', 'application/json')
        .set('X-GitHub-Event', event)
        .set('X-GitHub-Delivery', '72d3162e-cc78-11e3-81ab-4c9367dc0958')
        .set('X-Hub-Signature-256', signature ?? sign(raw))
        .send(raw);
    };
    const attempts = () =>
      backend.knex('dq_attempts').select('id', 'status', 'service_id');

    it('stores a GitHub deployment once, under the catalog service, with its final status', async () => {
      const success = fixture('github/deployment_status.created.success.json');
      const inProgress = structuredClone(success);
      inProgress.deployment_status.state = 'in_progress';
      inProgress.deployment_status.id = 209916250;
      inProgress.deployment_status.created_at = '2019-05-15T15:20:54Z';

      const first = await github(inProgress, 'deployment_status').expect(202);
      expect(first.body).toEqual({
        results: [
          {
            eventId: 'github:deployment_status:209916250',
            status: 'stored',
            attemptId: 'aquila-us-east-1:hello:f95f852:145988746',
          },
        ],
      });
      await github(success, 'deployment_status').expect(202);
      // GitHub's redelivery of the same delivery.
      const again = await github(success, 'deployment_status').expect(202);
      expect(again.body.results[0]).toEqual({
        eventId: 'github:deployment_status:209916254',
        status: 'stored',
        attemptId: 'aquila-us-east-1:hello:f95f852:145988746',
        duplicate: true,
      });
      expect(await attempts()).toEqual([
        {
          id: 'aquila-us-east-1:hello:f95f852:145988746',
          status: 'SUCCESS',
          service_id: 'hello',
        },
      ]);
      const [{ n }] = await backend
        .knex('dq_ingested_events')
        .count({ n: '*' });
      expect(Number(n)).toBe(2);
    });

    it('answers 202 ignored for irrelevant deliveries, storing nothing', async () => {
      const res = await github(
        fixture('github/workflow_run.requested.json'),
        'workflow_run',
      ).expect(202);
      expect(res.body).toEqual({
        status: 'ignored',
        reason: 'workflow run requested',
      });
      expect(await attempts()).toEqual([]);
    });

    it('answers 401 for a bad or missing signature and 404 for an unknown source', async () => {
      const body = fixture('github/deployment_status.created.success.json');
      const wrong = await github(
        body,
        'deployment_status',
        sign(JSON.stringify(body), 'not-the-secret-0123456789'),
      ).expect(401);
      expect(wrong.body.error.name).toBe('AuthenticationError');
      // A shared secret is no signature.
      await request(backend.server)
        .post(`${BASE}/ingest/sources/github`)
        .set('X-Webhook-Secret', GITHUB_SECRET)
        .send(body)
        .expect(401);
      const unknown = await request(backend.server)
        .post(`${BASE}/ingest/sources/gitlab`)
        .send({})
        .expect(404);
      expect(unknown.body.error.name).toBe('NotFoundError');
      expect(await attempts()).toEqual([]);
    });

    it('answers 400 with the problems of a malformed body, storing nothing', async () => {
      const body = fixture('github/deployment_status.created.success.json');
      delete body.deployment.sha;
      const res = await github(body, 'deployment_status').expect(400);
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.problems).toEqual([
        { path: 'deployment.sha', message: 'is required' },
      ]);
      const notJson = await request(backend.server)
        .post(`${BASE}/ingest/sources/github`)
        .set('Content-Type', 'application/json')
        .set('X-Hub-Signature-256', sign('{"a":'))
        .send('{"a":')
        .expect(400);
      expect(notJson.body.problems).toEqual([
        { path: '(root)', message: 'not valid JSON' },
      ]);
      // Contract validation after mapping: an environment that is no cluster id.
      const mapped = await request(backend.server)
        .post(`${BASE}/ingest/sources/argocd`)
        .set('X-Webhook-Secret', ARGO_SECRET)
        .send({
          ...fixture('argocd/notification.synced-healthy.json'),
          destination: { name: 'gke alpha' },
        })
        .expect(400);
      expect(mapped.body.problems).toEqual([
        {
          path: 'events[0].payload.clusterId',
          message: expect.stringContaining('clusterId must start'),
        },
      ]);
      expect(await attempts()).toEqual([]);
    });

    it('stores an Argo CD rollback as ROLLBACK with the version it returned to', async () => {
      await request(backend.server)
        .post(`${BASE}/ingest/sources/argocd`)
        .set('Authorization', `Bearer ${ARGO_SECRET}`)
        .send(fixture('argocd/notification.rollback.json'))
        .expect(202);
      const [row] = await backend
        .knex('dq_attempts')
        .select('status', 'trigger', 'build_version', 'rollback_to_build');
      expect(row).toEqual({
        status: 'ROLLBACK',
        trigger: 'rollback',
        build_version: 'ea87599',
        rollback_to_build: '9c1d4e5',
      });
    });

    it('ingests through an adapter a module registered on the extension point', async () => {
      const basic = Buffer.from(`jenkins:${ARGO_SECRET}`).toString('base64');
      const res = await request(backend.server)
        .post(`${BASE}/ingest/sources/custom`)
        .set('Authorization', `Basic ${basic}`)
        .send({ app: 'ledger', ok: false })
        .expect(202);
      expect(res.body).toEqual({
        results: [
          {
            eventId: 'custom:ledger',
            status: 'stored',
            attemptId: 'mira-us-west-2:ledger:1.0.0:1',
          },
        ],
      });
      expect(await attempts()).toEqual([
        {
          id: 'mira-us-west-2:ledger:1.0.0:1',
          status: 'FAILED',
          service_id: 'ledger',
        },
      ]);
    });

    describe('POST /ingest/test-reports', () => {
      const report = (
        query: string,
        body: string,
        type: string,
        secret = WEBHOOK_SECRET,
      ) =>
        request(backend.server)
          .post(`${BASE}/ingest/test-reports?${query}`)
          .set('Content-Type', type)
          .set('X-Webhook-Secret', secret)
          .send(body);
      const runs = () =>
        backend
          .knex('dq_test_runs')
          .select('suite_type', 'total', 'passed', 'failed', 'skipped');

      it('stores a JUnit report per suite type, once', async () => {
        const xml = reportFixture(
          'junit.pytest-error-failure.jenkins-junit-plugin.xml',
        );
        const query =
          'clusterId=mira-us-west-2&serviceId=authn&buildVersion=3.4.3';
        const first = await report(query, xml, 'application/xml').expect(202);
        expect(first.body.results).toEqual([
          { eventId: expect.any(String), status: 'stored' },
        ]);
        const again = await report(query, xml, 'text/xml').expect(202);
        expect(again.body.results[0].duplicate).toBe(true);
        expect(await runs()).toEqual([
          {
            suite_type: 'FUNCTIONAL',
            total: 1,
            passed: 0,
            failed: 1,
            skipped: 0,
          },
        ]);
      });

      it('stores a CTRF report by attempt id, its suites under the suite type the request names', async () => {
        await report(
          'attemptId=mira-us-west-2:authn:3.4.3:7&suiteType=regression',
          reportFixture('ctrf.comprehensive.json'),
          'application/json',
        ).expect(202);
        expect(await runs()).toEqual([
          {
            suite_type: 'REGRESSION',
            total: 3,
            passed: 2,
            failed: 1,
            skipped: 0,
          },
        ]);
        const bad = await report(
          'attemptId=mira-us-west-2:authn:3.4.3:7&suiteType=smoke%20tests',
          reportFixture('ctrf.comprehensive.json'),
          'application/json',
        ).expect(400);
        expect(bad.body.error.message).toBe(
          'Invalid suiteType: suiteType must be an upper-case name such as FUNCTIONAL, SANITY or REGRESSION',
        );
      });

      type StoredRun = {
        suite_type: string;
        total: number;
        passed: number;
        failed: number;
        skipped: number;
        duration_sec: number;
      };
      const bySuiteType = (a: StoredRun, b: StoredRun) =>
        a.suite_type.localeCompare(b.suite_type);
      /** The runs a generated report should come to, one per suite type. */
      const expectedRuns = (
        { suites }: GeneratedReport,
        types: Record<SuiteKind, string>,
      ) => {
        const byType = new Map<string, StoredRun>();
        for (const suite of suites) {
          const suiteType = types[suite.kind];
          const run = byType.get(suiteType) ?? {
            suite_type: suiteType,
            total: 0,
            passed: 0,
            failed: 0,
            skipped: 0,
            duration_sec: 0,
          };
          run.total += suite.passed + suite.failed + suite.skipped;
          run.passed += suite.passed;
          run.failed += suite.failed;
          run.skipped += suite.skipped;
          run.duration_sec += suite.time;
          byType.set(suiteType, run);
        }
        return [...byType.values()].sort(bySuiteType).map(run => ({
          ...run,
          duration_sec: expect.closeTo(run.duration_sec, 2),
        }));
      };
      const storedRuns = async (): Promise<StoredRun[]> =>
        (
          await backend
            .knex('dq_test_runs')
            .select(
              'suite_type',
              'total',
              'passed',
              'failed',
              'skipped',
              'duration_sec',
            )
        ).sort(bySuiteType);

      it('stores a 600-suite Surefire report as one run per mapped suite type', async () => {
        const surefire = surefireReport(600);
        const res = await report(
          'clusterId=mira-us-west-2&serviceId=authn&buildVersion=3.4.3',
          surefire.xml,
          'application/xml',
        ).expect(202);
        expect(res.body.results).toHaveLength(3);
        expect(await storedRuns()).toEqual(
          expectedRuns(surefire, {
            integration: 'REGRESSION',
            smoke: 'SANITY',
            unit: 'FUNCTIONAL',
          }),
        );
      });

      it('stores a 600-suite jest-junit report, unmapped suites under the requested type', async () => {
        const jest = jestJunitReport(600);
        await report(
          'attemptId=mira-us-west-2:web:1.0.0:1&suiteType=UNIT',
          jest.xml,
          'application/xml',
        ).expect(202);
        expect(await storedRuns()).toEqual(
          expectedRuns(jest, {
            integration: 'REGRESSION',
            smoke: 'SANITY',
            unit: 'UNIT',
          }),
        );
      });

      it('answers a report of 349,000 invalid tests with its first problems and their count', async () => {
        // As many empty tests as the default 1 MiB body holds.
        const count = 349_000;
        const res = await report(
          'attemptId=a',
          `{"results":{"tests":[${Array(count).fill('{}').join(',')}]}}`,
          'application/json',
        ).expect(400);
        expect(res.body.problems).toHaveLength(MAX_LISTED_PROBLEMS);
        expect(res.body.problems[0]).toEqual({
          path: 'results.tests[0].status',
          message: expect.stringContaining('must be one of'),
        });
        expect(res.body.problemCount).toBe(count);
        expect(res.body.error.message).toMatch(
          new RegExp(`; and ${count - MAX_LISTED_PROBLEMS} more$`),
        );
        expect(res.text.length).toBeLessThan(10_000);
        const checker = await OpenApiChecker.load(
          resolve(__dirname, '../schema/openapi.yaml'),
          BASE,
        );
        expect(
          checker.responseProblems('POST', `${BASE}/ingest/test-reports`, res),
        ).toEqual([]);
        expect(await runs()).toEqual([]);
      });

      it('refuses bad credentials, a missing attempt, other formats and malformed reports', async () => {
        const xml = reportFixture(
          'junit.pytest-error-failure.jenkins-junit-plugin.xml',
        );
        await report(
          'attemptId=a',
          xml,
          'application/xml',
          'wrong-secret-0123456789',
        ).expect(401);
        const noAttempt = await report(
          'clusterId=x',
          xml,
          'application/xml',
        ).expect(400);
        expect(noAttempt.body.error.message).toContain('Name the attempt');
        await report('attemptId=a', 'x', 'text/plain').expect(400);
        const broken = await report(
          'attemptId=a',
          '<testsuite>',
          'application/xml',
        ).expect(400);
        expect(broken.body.problems[0].message).toContain(
          'not well-formed XML',
        );
        const prototypeStatus = await report(
          'attemptId=a',
          JSON.stringify({
            results: { tests: [{ name: 'a', status: 'constructor' }] },
          }),
          'application/json',
        ).expect(400);
        expect(prototypeStatus.body.problems).toEqual([
          { path: 'results.tests[0].status', message: expect.any(String) },
        ]);
        expect(await runs()).toEqual([]);
      });
    });
  },
);

describe('the sources extension point', () => {
  it('refuses two adapters with one id', async () => {
    const knex = await databases.init('SQLITE_3');
    await expect(
      startTestBackend({
        features: [
          deploymentQualityPlugin,
          customModule,
          createBackendModule({
            pluginId: 'deployment-quality',
            moduleId: 'source-custom-again',
            register(reg) {
              reg.registerInit({
                deps: { sources: deploymentQualitySourcesExtensionPoint },
                async init({ sources }) {
                  sources.addSourceAdapter({
                    id: 'custom',
                    authentication: { type: 'shared-secret' },
                    map: () => ({ kind: 'ignored', reason: 'twin' }),
                  });
                },
              });
            },
          }),
          mockServices.database.factory({ knex }),
          catalogServiceMock.factory({ entities: [] }),
        ],
      }),
    ).rejects.toThrow(
      "A deployment-quality source adapter with id 'custom' is already registered",
    );
  });
});
