import {
  TestDatabaseId,
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  ANALYTICS_DEFINITIONS,
  FLAKY_DEFINITIONS,
  ATTEMPT_STATUSES,
  DEFAULT_ANALYTICS_DAYS,
  DORA_TIERS,
  EVENT_TYPES,
  LIST_LIMITS,
  MAX_ANALYTICS_DAYS,
  MAX_BATCH_EVENTS,
  SCORECARD_METRICS,
  TRIGGERS,
} from '@deployment-quality/plugin-deployment-quality-common';
import sourceAdapters from '@deployment-quality/plugin-deployment-quality-backend-module-sources';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import request from 'supertest';
import { webhookDeployment } from '../__testUtils__/events';
import { groupEntity, serviceEntity } from '../__testUtils__/entities';
import { deploymentQualityPlugin } from '../plugin';
import { testDatabaseIds } from '../__testUtils__/databases';
import { OpenApiChecker } from './__testUtils__/openApiChecker';
import { DETAILS_WITHHELD } from '../status/StatusReporter';
import { permissionsWithoutPluginOnes } from '../__testUtils__/permissions';
import { startLocalSqs } from '../__testUtils__/localSqs';

// The spec must describe the real answers: every route is called on a real
// backend and each answer (status, content type, body) is validated against
// src/schema/openapi.yaml, with undocumented fields counting as drift. The
// test ends by checking that every documented response was produced.

jest.setTimeout(60_000);

// The queue-mode backend's SQS client signs its requests; nothing checks them.
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

const SPEC = resolve(__dirname, 'openapi.yaml');
const BASE = '/api/deployment-quality';
const SECRET = 'spec-test-secret-0123456789';
/** A webhook key and a source secret allowed one request a minute. */
const LIMITED_SECRET = 'spec-test-limited-0123456789';
const MAX_BODY_BYTES = 64 * 1024;
const ATTEMPT_ID = 'mira-us-west-2:authn:3.4.3:7';
const IN_PROGRESS_ID = 'mira-us-west-2:authn:3.4.4:8';
const ROLLBACK_ID = 'pavo-us-east-1:authn:3.4.3:1';
const NO_AUTH = mockCredentials.none.header();

const entities: Entity[] = [
  serviceEntity('authentication', {
    title: 'Authentication',
    serviceId: 'authn',
  }),
  serviceEntity('billing', { owner: 'team-b' }),
  serviceEntity('unused', { owner: 'team-b' }),
  groupEntity('team-b'),
];

/** A port nothing listens on: the queue-mode backend's unreachable SQS. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(ok => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise(ok => server.close(ok));
  return port;
}

const databases = TestDatabases.create({ ids: testDatabaseIds() });

async function startBackend(
  databaseId: TestDatabaseId,
  options: { deny?: boolean; sqsPort?: number } = {},
) {
  const knex = await databases.init(databaseId);
  const sqsUrl = `http://127.0.0.1:${options.sqsPort}`;
  const backend = await startTestBackend({
    features: [
      deploymentQualityPlugin,
      sourceAdapters,
      mockServices.database.factory({ knex }),
      catalogServiceMock.factory({ entities }),
      ...(options.deny ? [permissionsWithoutPluginOnes()] : []),
      mockServices.rootConfig.factory({
        data: {
          deploymentQuality: {
            // The fixtures are dated: keep them inside the retention window.
            retention: { days: 36500 },
            clusters: [
              {
                id: 'mira-us-west-2',
                name: 'Mira US-West-2',
                type: 'Development',
                role: 'Primary',
                region: 'us-west-2',
                description: 'First stop of every build',
              },
              { id: 'pavo-us-east-1', name: 'Pavo US-East-1' },
            ],
            ingestion: {
              webhook: {
                maxBodyBytes: MAX_BODY_BYTES,
                keys: [
                  { name: 'ci', secret: SECRET },
                  { name: 'limited', secret: LIMITED_SECRET, perMinute: 1 },
                ],
              },
              ...(options.sqsPort
                ? {
                    sqs: {
                      queueUrl: `${sqsUrl}/000000000000/dq-ingest`,
                      endpoint: sqsUrl,
                      region: 'us-east-1',
                      consume: false,
                    },
                  }
                : {}),
            },
            gates: {
              requiredSuites: ['functional', 'REGRESSION'],
              minPassRate: { FUNCTIONAL: 90 },
              quarantine: [
                {
                  serviceId: 'authn',
                  suite: 'api',
                  className: 'Cart',
                  name: 'totals',
                  reason: 'JIRA-7',
                },
              ],
            },
            sources: {
              github: {
                secrets: [
                  { name: 'gh', secret: SECRET },
                  { name: 'gh-limited', secret: LIMITED_SECRET, perMinute: 1 },
                ],
              },
            },
          },
        },
      }),
    ],
  });
  return Object.assign(backend, { knex });
}

const deployment = webhookDeployment;

/** Seed events: every event type, and every optional or nullable field. */
const SEED_EVENTS: object[] = [
  deployment({ commitAt: '2026-02-24T08:30:00Z' }),
  deployment({
    buildVersion: '3.4.4',
    runNumber: '8',
    status: 'IN_PROGRESS',
    startedAt: '2026-02-25T09:00:00Z',
    endedAt: undefined,
  }),
  deployment({
    clusterId: 'pavo-us-east-1',
    buildVersion: '3.4.2',
    runNumber: 0,
    status: 'LIVE',
    trigger: 'promotion',
    startedAt: '2026-02-23T10:00:00Z',
    endedAt: '2026-02-23T10:20:00Z',
  }),
  deployment(
    {
      clusterId: 'pavo-us-east-1',
      runNumber: 1,
      status: 'ROLLBACK',
      trigger: 'rollback',
      rollbackToBuild: '3.4.2',
      failureReason: 'error budget burnt',
      startedAt: '2026-02-24T11:00:00Z',
      endedAt: '2026-02-24T11:05:00Z',
    },
    { source: 'argocd' },
  ),
  deployment({
    clusterId: 'aquila-eu-west-1',
    serviceId: 'billing',
    buildVersion: '1.0.0',
    status: 'FAILED',
    failureReason: 'health check failed',
  }),
  deployment({
    clusterId: 'aquila-eu-west-1',
    serviceId: 'billing',
    buildVersion: '1.0.1',
    runNumber: 8,
    startedAt: '2026-02-24T12:00:00Z',
    endedAt: '2026-02-24T12:10:00Z',
  }),
  {
    source: 'ci',
    eventType: 'test-result',
    eventId: 'functional-1',
    payload: {
      attemptId: ATTEMPT_ID,
      suiteType: 'FUNCTIONAL',
      total: 20,
      passed: 19,
      failed: 1,
      skipped: 0,
      durationSec: 30.5,
      executedAt: '2026-02-24T09:12:00Z',
      reportUrl: 'https://ci.example.com/reports/1',
    },
  },
  {
    // By build instead of attempt id; a suite the views don't know by name,
    // with no tests: a null pass rate.
    source: 'ci',
    eventType: 'test-result',
    payload: {
      clusterId: 'mira-us-west-2',
      serviceId: 'authn',
      buildVersion: '3.4.3',
      suiteType: 'SMOKE',
      total: 0,
      passed: 0,
      failed: 0,
      skipped: 0,
      durationSec: 0,
      executedAt: '2026-02-24T09:13:00Z',
    },
  },
  {
    source: 'ci',
    eventType: 'promotion',
    payload: {
      serviceId: 'authn',
      buildVersion: '3.4.3',
      fromClusterId: 'mira-us-west-2',
      toClusterId: 'pavo-us-east-1',
      promotedBy: 'alice',
      promotedAt: '2026-02-24T10:00:00Z',
    },
  },
  {
    source: 'ci',
    eventType: 'promotion',
    payload: {
      promotionId: 'later',
      serviceId: 'authn',
      buildVersion: '3.4.3',
      fromClusterId: 'pavo-us-east-1',
      toClusterId: 'aquila-eu-west-1',
      promotedBy: 'bob',
      promotedAt: '2026-02-24T12:00:00Z',
    },
  },
  {
    source: 'terraform',
    eventType: 'cluster-config',
    payload: {
      id: 'lyra-eu-central-1',
      name: 'Lyra EU-Central-1',
      type: 'Production',
      role: 'Secondary',
      region: 'eu-central-1',
    },
  },
  {
    source: 'nightly-cron',
    eventType: 'cluster-test-result',
    payload: {
      clusterId: 'mira-us-west-2',
      suite: 'conformance',
      total: 402,
      passed: 398,
      failed: 3,
      skipped: 1,
      durationSec: 3620,
      executedAt: '2026-02-24T02:00:00Z',
      reportUrl: 'https://ci.example.com/validations/mira/conformance',
      labels: { job: 'sonobuoy' },
    },
  },
  {
    source: 'soundcheck',
    eventType: 'scorecard',
    payload: {
      serviceId: 'authn',
      name: 'soundcheck: production readiness',
      score: 8,
      maxScore: 10,
      measuredAt: '2026-02-24T06:00:00Z',
      url: 'https://soundcheck.example.com/authn',
      checks: [
        { name: 'has runbook', passed: true },
        {
          name: 'alerts routed',
          passed: false,
          url: 'https://soundcheck.example.com/authn/alerts',
        },
      ],
    },
  },
  ...[
    ['2026-02-20', 11.5, false],
    ['2026-02-25', 14.25, true],
  ].map(([date, amount, estimated]) => ({
    source: 'aws-cost-explorer',
    eventType: 'cost',
    payload: {
      serviceId: 'authn',
      clusterId: 'mira-us-west-2',
      date,
      amount,
      currency: 'USD',
      estimated,
    },
  })),
];

/** A GET route call, its expected status, and whether a 400 is one the spec can't express. */
interface GetCase {
  url: string;
  status: number;
  /** A 400 from a rule across parameters or on an opaque value (cursor). */
  semantic?: true;
}

const GET_CASES: GetCase[] = [
  { url: '/clusters', status: 200 },
  { url: '/clusters/mira-us-west-2/summary', status: 200 },
  { url: '/clusters/aquila-eu-west-1/summary', status: 200 },
  { url: '/clusters/lyra-eu-central-1/summary', status: 200 },
  { url: '/clusters/nowhere/summary', status: 404 },
  { url: '/clusters/mira-us-west-2/validations', status: 200 },
  { url: '/clusters/nowhere/validations', status: 404 },
  { url: '/clusters/mira-us-west-2/cost?from=2026-02-01', status: 200 },
  { url: '/clusters/mira-us-west-2/cost?compareDays=0', status: 400 },
  { url: '/clusters/nowhere/cost', status: 404 },
  { url: '/attempts', status: 200 },
  { url: '/attempts?status=FAILED&limit=50', status: 200 },
  { url: '/attempts?limit=501', status: 400 },
  { url: '/attempts?status=DONE', status: 400 },
  { url: '/attempts?cursor=nope', status: 400, semantic: true },
  { url: '/clusters/mira-us-west-2/attempts', status: 200 },
  { url: '/clusters/mira-us-west-2/attempts?status=IN_PROGRESS', status: 200 },
  {
    url: '/clusters/pavo-us-east-1/attempts?serviceId=authn&status=ROLLBACK&limit=500',
    status: 200,
  },
  { url: '/clusters/mira-us-west-2/attempts?limit=0', status: 400 },
  { url: '/clusters/mira-us-west-2/attempts?limit=501', status: 400 },
  { url: '/clusters/mira-us-west-2/attempts?limit=ten', status: 400 },
  { url: '/clusters/mira-us-west-2/attempts?limit=1.5', status: 400 },
  { url: '/clusters/mira-us-west-2/attempts?status=DONE', status: 400 },
  { url: '/clusters/mira-us-west-2/attempts?serviceId=bad:id', status: 400 },
  {
    url: '/clusters/mira-us-west-2/attempts?cursor=nope',
    status: 400,
    semantic: true,
  },
  { url: '/clusters/nowhere/attempts', status: 404 },
  { url: '/services', status: 200 },
  { url: '/services/authn/attempts', status: 200 },
  {
    url: '/services/billing/attempts?clusterId=aquila-eu-west-1&status=FAILED&limit=1',
    status: 200,
  },
  { url: '/services/authn/attempts?clusterId=bad:id', status: 400 },
  { url: '/services/authn/attempts?limit=0', status: 400 },
  { url: '/services/nope/attempts', status: 404 },
  { url: `/builds/${encodeURIComponent(ATTEMPT_ID)}`, status: 200 },
  { url: `/builds/${encodeURIComponent(IN_PROGRESS_ID)}`, status: 200 },
  { url: `/builds/${encodeURIComponent(ROLLBACK_ID)}`, status: 200 },
  { url: '/builds/no-such-attempt', status: 404 },
  { url: '/analytics', status: 200 },
  {
    url: '/analytics?serviceId=authn&from=2026-02-20&to=2026-02-26',
    status: 200,
  },
  {
    url: '/analytics?clusterId=aquila-eu-west-1&from=2026-02-01&to=2026-02-28&bucket=week',
    status: 200,
  },
  {
    url: '/analytics?from=2026-02-24T00:00:00Z&to=2026-02-25T06:00:00%2B02:00&bucket=day',
    status: 200,
  },
  { url: '/analytics?bucket=month', status: 400 },
  { url: '/analytics?from=yesterday', status: 400 },
  { url: '/analytics?from=2026-02-24T00:00Z', status: 400 },
  { url: '/analytics?from=2026-02-29', status: 400 },
  { url: '/analytics?clusterId=bad:id', status: 400 },
  {
    url: '/analytics?from=2026-02-25&to=2026-02-01',
    status: 400,
    semantic: true,
  },
  {
    url: '/analytics?from=2024-01-01&to=2026-01-01',
    status: 400,
    semantic: true,
  },
  { url: '/analytics?clusterId=nowhere', status: 404 },
  { url: '/analytics?serviceId=nope', status: 404 },
  {
    url: '/gates?serviceId=authn&clusterId=mira-us-west-2&buildVersion=3.4.3',
    status: 200,
  },
  {
    url: '/gates?serviceId=authn&clusterId=pavo-us-east-1&buildVersion=3.4.2',
    status: 200,
  },
  { url: '/gates?serviceId=authn&clusterId=mira-us-west-2', status: 400 },
  {
    url: '/gates?serviceId=authn&clusterId=mira-us-west-2&buildVersion=no%20spaces',
    status: 400,
  },
  {
    url: '/gates?serviceId=authn&clusterId=mira-us-west-2&buildVersion=9.9.9',
    status: 404,
  },
  { url: '/scorecard', status: 200 },
  { url: '/scorecard?from=2026-02-01&to=2026-02-28', status: 200 },
  { url: '/scorecard?from=nope', status: 400 },
  { url: '/scorecard/csv?from=2026-02-01&to=2026-02-28', status: 200 },
  { url: '/scorecard/csv?to=2026-13-45T00:00:00Z', status: 400 },
  { url: '/entities/default/component/authentication/summary', status: 200 },
  { url: '/entities/default/component/unused/summary', status: 200 },
  { url: '/entities/default/component/ghost/summary', status: 404 },
  { url: '/entities/default/component/authentication/attempts', status: 200 },
  {
    url: '/entities/default/component/billing/attempts?clusterId=aquila-eu-west-1&status=FAILED&limit=15',
    status: 200,
  },
  { url: '/entities/default/component/unused/attempts', status: 200 },
  {
    url: '/entities/default/component/authentication/attempts?limit=501',
    status: 400,
  },
  { url: '/entities/default/component/ghost/attempts', status: 404 },
  {
    url: '/entities/default/component/authentication/analytics?from=2026-02-20&to=2026-02-26',
    status: 200,
  },
  {
    url: '/entities/default/component/unused/analytics?clusterId=mira-us-west-2&bucket=week',
    status: 200,
  },
  {
    url: '/entities/default/component/authentication/analytics?from=yesterday',
    status: 400,
  },
  { url: '/entities/default/component/ghost/analytics', status: 404 },
  { url: '/entities/default/group/team-b/rollup', status: 200 },
  {
    url: '/entities/default/group/team-b/rollup?from=2026-02-01&to=2026-02-28',
    status: 200,
  },
  { url: '/entities/default/group/team-b/rollup?from=nope', status: 400 },
  { url: '/entities/default/group/ghost/rollup', status: 404 },
  { url: '/entities/default/component/authentication/promotions', status: 200 },
  {
    url: '/entities/default/component/authentication/promotions?limit=0',
    status: 400,
  },
  {
    url: '/entities/default/component/authentication/promotions?cursor=nope',
    status: 400,
    semantic: true,
  },
  { url: '/entities/default/component/ghost/promotions', status: 404 },
  {
    url: '/entities/default/component/authentication/external-scorecards',
    status: 200,
  },
  { url: '/entities/default/component/ghost/external-scorecards', status: 404 },
  {
    url: '/entities/default/component/authentication/cost?from=2026-02-01&compareDays=3',
    status: 200,
  },
  {
    url: '/entities/default/component/authentication/cost?compareDays=x',
    status: 400,
  },
  { url: '/entities/default/component/ghost/cost', status: 404 },
  {
    url: '/entities/default/component/authentication/tests/flaky?from=2026-02-01',
    status: 200,
  },
  {
    url: '/entities/default/component/authentication/tests/flaky?to=x',
    status: 400,
  },
  { url: '/entities/default/component/ghost/tests/flaky', status: 404 },
  {
    url: '/entities/default/component/authentication/tests/quarantine',
    status: 200,
  },
  { url: '/tests/signatures?from=2026-02-01&limit=50', status: 200 },
  { url: '/tests/signatures?limit=51', status: 400 },
  { url: '/tests/signatures/999999', status: 404 },
  { url: '/tests/signatures/0', status: 400, semantic: true },
  { url: '/entities/default/component/ghost/tests/quarantine', status: 404 },
  {
    url: '/entities/default/component/authentication/tests/cases/999999',
    status: 404,
  },
  {
    url: '/entities/default/component/authentication/tests/cases/0',
    status: 400,
    semantic: true,
  },
  {
    url: '/entities/default/component/authentication/tests/cases/1?limit=101',
    status: 400,
  },
  { url: '/diagnostics/rejected-events', status: 200 },
  { url: '/diagnostics/rejected-events?limit=500', status: 200 },
  { url: '/diagnostics/rejected-events?limit=0', status: 400 },
  { url: '/diagnostics/rejected-events?limit=501', status: 400 },
  { url: '/status', status: 200 },
];

/** One URL per GET operation, for the 401 and 403 sweeps. */
const SAMPLE_URLS: Record<string, string> = {
  listClusters: '/clusters',
  getClusterSummary: '/clusters/mira-us-west-2/summary',
  getClusterValidations: '/clusters/mira-us-west-2/validations',
  getClusterCost: '/clusters/mira-us-west-2/cost',
  listAttempts: '/attempts',
  listClusterAttempts: '/clusters/mira-us-west-2/attempts',
  listServices: '/services',
  listServiceAttempts: '/services/authn/attempts',
  getBuild: `/builds/${encodeURIComponent(ATTEMPT_ID)}`,
  getAnalytics: '/analytics',
  checkGates:
    '/gates?serviceId=authn&clusterId=mira-us-west-2&buildVersion=3.4.3',
  getScorecard: '/scorecard',
  getScorecardCsv: '/scorecard/csv',
  getEntitySummary: '/entities/default/component/authentication/summary',
  listEntityAttempts: '/entities/default/component/authentication/attempts',
  getEntityAnalytics: '/entities/default/component/authentication/analytics',
  listEntityPromotions: '/entities/default/component/authentication/promotions',
  getEntityExternalScorecards:
    '/entities/default/component/authentication/external-scorecards',
  getEntityCost: '/entities/default/component/authentication/cost',
  getEntityFlakyTests: '/entities/default/component/authentication/tests/flaky',
  getEntityTestHistory:
    '/entities/default/component/authentication/tests/cases/1',
  getEntityQuarantine:
    '/entities/default/component/authentication/tests/quarantine',
  listFailureSignatures: '/tests/signatures',
  getFailureSignature: '/tests/signatures/1',
  getEntityRollup: '/entities/default/group/team-b/rollup',
  listRejectedEvents: '/diagnostics/rejected-events',
  getStatus: '/status',
};

let checker: OpenApiChecker;

beforeAll(async () => {
  checker = await OpenApiChecker.load(SPEC, BASE);
});

describe('openapi.yaml', () => {
  it('is a valid OpenAPI 3.0 document for the plugin', () => {
    // OpenApiChecker.load ran the same validation as
    // `backstage-repo-tools package schema openapi validate`.
    expect(checker.doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(checker.doc.info).toMatchObject({
      title: 'deployment-quality',
      version: '0.1.0',
    });
    // Relative, as createValidatedOpenApiRouter matches paths under the mount.
    expect(checker.doc.servers).toEqual([
      expect.objectContaining({ url: '/' }),
    ]);
  });

  it('keeps the conventions repo-tools lints for', () => {
    const ops = checker.operations();
    const ids = ops.map(op => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = new Set(checker.doc.tags.map((t: any) => t.name));
    for (const op of ops) {
      expect({
        op: op.operationId,
        summary: Boolean(op.schema.summary),
      }).toEqual({ op: op.operationId, summary: true });
      expect(op.schema.description).toEqual(expect.any(String));
      for (const tag of op.schema.tags) expect(tags).toContain(tag);
      expect(op.path).toMatch(/^(\/|[a-z0-9-.]+|\{[a-zA-Z0-9_]+\})+$/);
      const params: any[] = op.schema.parameters ?? [];
      expect(
        params
          // Declared, as repo-tools' lint wants; only timestamps allow ':'.
          .filter(
            p =>
              p.in === 'query' &&
              p.allowReserved !== ['from', 'to'].includes(p.name),
          )
          .map(p => `${op.operationId} ${p.name}`),
      ).toEqual([]);
      // X- headers are security schemes, never parameters (standard ones,
      // such as Cache-Control, may be).
      expect(
        params.filter(p => p.in === 'header' && /^x-/i.test(p.name)),
      ).toEqual([]);
    }
    // OpenAPI 3.0 ignores a $ref's siblings: none may be written.
    const refSiblings: string[] = [];
    const visit = (node: unknown, where: string) => {
      if (!node || typeof node !== 'object') return;
      const keys = Object.keys(node);
      if (keys.includes('$ref') && keys.length > 1) refSiblings.push(where);
      for (const [k, v] of Object.entries(node)) visit(v, `${where}/${k}`);
    };
    visit(checker.raw, '#');
    expect(refSiblings).toEqual([]);
    // No unused components.
    const text = JSON.stringify(checker.raw);
    const unused = ['schemas', 'parameters', 'responses'].flatMap(type =>
      Object.keys(checker.raw.components[type])
        .map(name => `#/components/${type}/${name}`)
        .filter(ref => !text.includes(`"${ref}"`)),
    );
    const schemes = new Set(
      [checker.raw.security, ...ops.map(op => op.schema.security)]
        .flat()
        .filter(Boolean)
        .flatMap(requirement => Object.keys(requirement)),
    );
    unused.push(
      ...Object.keys(checker.raw.components.securitySchemes).filter(
        name => !schemes.has(name),
      ),
    );
    expect(unused).toEqual([]);
  });

  it("states the contract's enums, limits and definitions", () => {
    const schemas = checker.doc.components.schemas;
    const params = checker.doc.components.parameters;
    expect(schemas.AttemptStatus.enum).toEqual([...ATTEMPT_STATUSES]);
    expect(schemas.Trigger.enum).toEqual([...TRIGGERS]);
    expect(schemas.DoraTier.enum).toEqual([...DORA_TIERS, null]);
    expect(
      schemas.WebhookEvent.oneOf.map((s: any) => s.properties.eventType.enum),
    ).toEqual(EVENT_TYPES.map(t => [t]));
    expect(
      Object.keys(schemas.WebhookEvent.discriminator.mapping).sort(),
    ).toEqual([...EVENT_TYPES].sort());
    expect(schemas.WebhookBatch.properties.events.maxItems).toBe(
      MAX_BATCH_EVENTS,
    );
    expect(params.clusterListLimit.schema).toMatchObject({
      minimum: 1,
      maximum: LIST_LIMITS.max,
      default: LIST_LIMITS.clusterDefault,
    });
    expect(params.serviceListLimit.schema).toMatchObject({
      minimum: 1,
      maximum: LIST_LIMITS.max,
      default: LIST_LIMITS.serviceDefault,
    });
    const fromText = params.from.description.replace(/\s+/g, ' ');
    expect(fromText).toContain(`at most ${MAX_ANALYTICS_DAYS} days`);
    expect(fromText).toContain(`${DEFAULT_ANALYTICS_DAYS} days before`);
    for (const metrics of [
      schemas.ScorecardPolicy.properties.weights,
      schemas.ScorecardPolicy.properties.thresholds,
      schemas.ScorecardEntry.properties.subScores,
    ]) {
      expect(Object.keys(metrics.properties)).toEqual([...SCORECARD_METRICS]);
      expect(metrics.required).toEqual([...SCORECARD_METRICS]);
    }
    // The phrase /status puts in place of error texts is quoted word for word.
    expect(
      checker.doc.paths['/status'].get.description.replace(/\s+/g, ' '),
    ).toContain(DETAILS_WITHHELD);
    // The definitions the answer carries are quoted word for word.
    for (const [schema, served] of [
      ['AnalyticsDefinitions', ANALYTICS_DEFINITIONS],
      ['FlakyDefinitions', FLAKY_DEFINITIONS],
    ] as const) {
      const definitions = schemas[schema];
      expect(definitions.required).toEqual(Object.keys(served));
      for (const [key, text] of Object.entries(served)) {
        expect(definitions.properties[key].description).toBe(text);
      }
    }
  });

  it('has examples that match their schemas', () => {
    const problems: string[] = [];
    for (const op of checker.operations()) {
      for (const p of op.schema.parameters ?? []) {
        if (p.example !== undefined) {
          problems.push(
            ...checker
              .valueProblems(p.schema, p.example)
              .map(e => `${op.operationId} ${p.name}: ${e}`),
          );
        }
      }
    }
    // Every `example` inside a schema, against that schema.
    const visit = (node: unknown, where: string) => {
      if (!node || typeof node !== 'object') return;
      const schema = node as Record<string, any>;
      if ('example' in schema && ('type' in schema || 'oneOf' in schema)) {
        problems.push(
          ...checker
            .valueProblems(schema, schema.example)
            .map(e => `${where}: ${e}`),
        );
      }
      for (const [k, v] of Object.entries(schema)) visit(v, `${where}/${k}`);
    };
    visit(checker.doc.components.schemas, '#/components/schemas');
    expect(problems).toEqual([]);
    const csv = checker.doc.paths['/scorecard/csv'].get.responses['200']
      .content['text/csv'].example as string;
    expect(csv.split('\r\n')[0].split(',')).toHaveLength(13);
  });
});

describe.each(databases.eachSupportedId())(
  'the API on %p',
  (databaseId: TestDatabaseId) => {
    let main: Awaited<ReturnType<typeof startBackend>>;
    let restricted: Awaited<ReturnType<typeof startBackend>>;

    type Options = { headers?: Record<string, string>; body?: string | object };
    type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

    /** Calls the backend; `problems` are the answer's departures from the spec. */
    async function send(
      backend: typeof main,
      method: Method,
      path: string,
      options: Options = {},
    ) {
      const url = `${BASE}${path}`;
      const agent = request(backend.server);
      let req = {
        GET: () => agent.get(url),
        POST: () => agent.post(url),
        PUT: () => agent.put(url),
        DELETE: () => agent.delete(url),
      }[method]();
      for (const [k, v] of Object.entries(options.headers ?? {})) {
        req = req.set(k, v);
      }
      const res =
        options.body === undefined ? await req : await req.send(options.body);
      return { res, problems: checker.responseProblems(method, url, res) };
    }

    /** Calls the backend and asserts the answer matches the spec. */
    async function call(
      backend: typeof main,
      method: Method,
      path: string,
      options: Options = {},
    ) {
      const { res, problems } = await send(backend, method, path, options);
      expect({ call: `${method} ${path}`, problems }).toEqual({
        call: `${method} ${path}`,
        problems: [],
      });
      return res;
    }

    const WEBHOOK_AUTH = { 'X-Webhook-Secret': SECRET };
    const post = (
      body: string | object,
      headers: Record<string, string> = WEBHOOK_AUTH,
      backend = main,
    ) => call(backend, 'POST', '/ingest/webhook', { body, headers });

    /** The spec's verdict on one event of a webhook body. */
    const eventProblems = (event: unknown) =>
      checker.schemaProblems('WebhookEvent', event);

    /** What seeding saw: each event's problems against the spec, and its answer. */
    const seeding: Array<{
      request: string[];
      status: number;
      response: string[];
    }> = [];

    beforeAll(async () => {
      checker.seen.clear();
      main = await startBackend(databaseId);
      restricted = await startBackend(databaseId, {
        deny: true,
        sqsPort: await closedPort(),
      });
      for (const event of SEED_EVENTS) {
        const { res, problems } = await send(main, 'POST', '/ingest/webhook', {
          body: event,
          headers: WEBHOOK_AUTH,
        });
        seeding.push({
          request: eventProblems(event),
          status: res.status,
          response: problems,
        });
      }
    });

    it('seeds with events the spec describes, answered as documented', () => {
      expect(seeding).toEqual(
        SEED_EVENTS.map(() => ({ request: [], status: 202, response: [] })),
      );
    });

    afterAll(async () => {
      await main?.stop();
      await restricted?.stop();
    });

    it('POST /ingest/webhook answers as documented', async () => {
      const url = `${BASE}/ingest/webhook`;
      // Another service, so the views the other tests read stay as seeded.
      const single = deployment(
        { serviceId: 'ledger', runNumber: 20 },
        { eventId: 'spec-1' },
      );
      expect(checker.requestBodyProblems('POST', url, single)).toEqual([]);
      expect((await post(single)).body).toEqual({
        eventId: 'spec-1',
        status: 'stored',
        attemptId: 'mira-us-west-2:ledger:3.4.3:20',
      });
      expect((await post(single)).body).toEqual({
        eventId: 'spec-1',
        status: 'stored',
        attemptId: 'mira-us-west-2:ledger:3.4.3:20',
        duplicate: true,
      });
      // The architecture document's test-result example has no executedAt.
      const undated = {
        source: 'ci',
        eventType: 'test-result',
        payload: {
          attemptId: 'mira-us-west-2:ledger:3.4.3:20',
          suiteType: 'SANITY',
          total: 30,
          passed: 30,
          failed: 0,
          skipped: 0,
          durationSec: 12,
        },
      };
      expect(eventProblems(undated)).toEqual([]);
      expect((await post(undated)).body).toEqual({
        eventId: expect.any(String),
        status: 'stored',
      });

      // A batch with one good and one bad event: 202, one result each.
      const bad = {
        ...deployment({ serviceId: 'ledger', runNumber: 22 }),
        eventId: 'bad-1',
        payload: { clusterId: 'x' },
      };
      const good = deployment({ serviceId: 'ledger', runNumber: 21 });
      expect(eventProblems(good)).toEqual([]);
      expect(eventProblems(bad)).not.toEqual([]);
      const batch = await post({ events: [good, bad] });
      expect(batch.status).toBe(202);
      expect(batch.body.results.map((r: any) => r.status)).toEqual([
        'stored',
        'rejected',
      ]);
      // Every event rejected: 400 with the same per-event results.
      const allBad = await post({ events: [bad] });
      expect(allBad.status).toBe(400);
      expect(allBad.body.results[0].status).toBe('rejected');
      // A batch of nothing, and invalid single events: Backstage's error body plus problems.
      const empty = { events: [] };
      expect(checker.requestBodyProblems('POST', url, empty)).not.toEqual([]);
      expect((await post(empty)).status).toBe(400);
      for (const invalid of [
        deployment({
          status: 'DONE',
          gitSha: 'not-hex!',
          serviceId: undefined,
        }),
        { ...deployment(), eventType: 'scorecard-v9' },
        { source: 'ci', eventType: 'promotion', payload: { serviceId: 'a' } },
      ]) {
        expect(checker.requestBodyProblems('POST', url, invalid)).not.toEqual(
          [],
        );
        const res = await post(invalid);
        expect(res.status).toBe(400);
        expect(res.body.error.name).toBe('InputError');
      }
      const notJson = await post('{"source": ', {
        'X-Webhook-Secret': SECRET,
        'Content-Type': 'application/json',
      });
      expect(notJson.status).toBe(400);
      expect(notJson.body.problems).toEqual([
        { path: '(root)', message: 'not valid JSON' },
      ]);

      // A body that can't be read: Backstage's error body without problems.
      const corrupt = await post('not gzip at all', {
        ...WEBHOOK_AUTH,
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
      });
      expect(corrupt.status).toBe(400);
      expect(corrupt.body.error.name).toBe('InputError');

      expect((await post(single, {})).status).toBe(401);
      expect(
        (await post(single, { Authorization: 'Bearer wrong-key-0123456789' }))
          .status,
      ).toBe(401);

      const huge = deployment({
        serviceId: 'ledger',
        failureReason: 'x'.repeat(MAX_BODY_BYTES),
      });
      expect((await post(huge)).status).toBe(413);
      const encoded = await post(JSON.stringify(single), {
        'X-Webhook-Secret': SECRET,
        'Content-Type': 'application/json',
        'Content-Encoding': 'compress',
      });
      expect(encoded.status).toBe(415);

      // Queue mode with the queue unreachable: 503, retry later.
      const unavailable = await post(single, undefined, restricted);
      expect(unavailable.status).toBe(503);
      expect(unavailable.body.error.name).toBe('ServiceUnavailableError');
    });

    it('every GET route answers as documented, and agrees with the spec on its parameters', async () => {
      for (const c of GET_CASES) {
        const res = await call(main, 'GET', c.url);
        expect({ url: c.url, status: res.status }).toEqual({
          url: c.url,
          status: c.status,
        });
        const specAccepts =
          checker.queryProblems('GET', `${BASE}${c.url}`).length === 0;
        expect({ url: c.url, specAccepts }).toEqual({
          url: c.url,
          specAccepts: c.semantic ? true : c.status !== 400,
        });
        const errorNames: Record<number, string> = {
          400: 'InputError',
          404: 'NotFoundError',
        };
        expect({ url: c.url, error: res.body?.error?.name }).toEqual({
          url: c.url,
          error: errorNames[c.status],
        });
      }
    });

    it('pages follow nextCursor as documented', async () => {
      for (const path of [
        '/attempts',
        '/clusters/mira-us-west-2/attempts',
        '/services/authn/attempts',
        '/entities/default/component/authentication/attempts',
        '/entities/default/component/authentication/promotions',
      ]) {
        const first = await call(main, 'GET', `${path}?limit=1`);
        expect({ path, cursor: first.body.nextCursor }).toEqual({
          path,
          cursor: expect.any(String),
        });
        await call(
          main,
          'GET',
          `${path}?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`,
        );
      }
    });

    it('the seed reached the optional and nullable fields the spec documents', async () => {
      const inProgress = await call(
        main,
        'GET',
        `/builds/${encodeURIComponent(IN_PROGRESS_ID)}`,
      );
      expect(inProgress.body.attempt.endedAt).toBeNull();
      const rollback = await call(
        main,
        'GET',
        `/builds/${encodeURIComponent(ROLLBACK_ID)}`,
      );
      expect(rollback.body.attempt).toMatchObject({
        source: 'argocd',
        rollbackToBuild: '3.4.2',
        failureReason: 'error budget burnt',
      });
      const build = await call(
        main,
        'GET',
        `/builds/${encodeURIComponent(ATTEMPT_ID)}`,
      );
      expect(build.body.attempt.commitAt).toBe('2026-02-24T08:30:00.000Z');
      expect(build.body.testRuns).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ reportUrl: expect.any(String) }),
        ]),
      );
      expect(build.body.promotions).toHaveLength(2);

      const clusters = await call(main, 'GET', '/clusters');
      expect(
        clusters.body.clusters.map((c: any) => [c.id, c.configured]),
      ).toEqual(
        expect.arrayContaining([
          ['lyra-eu-central-1', true],
          ['aquila-eu-west-1', false],
        ]),
      );
      const attempts = await call(
        main,
        'GET',
        '/services/authn/attempts?clusterId=mira-us-west-2&status=SUCCESS',
      );
      expect(Object.keys(attempts.body.attempts[0].gates).sort()).toEqual([
        'functional',
        'smoke',
      ]);

      const gates = await call(
        main,
        'GET',
        '/gates?serviceId=authn&clusterId=mira-us-west-2&buildVersion=3.4.3',
      );
      expect(gates.body.suites).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ suite: 'SMOKE', passRate: null }),
        ]),
      );

      const analytics = await call(
        main,
        'GET',
        '/analytics?from=2026-02-20&to=2026-02-26',
      );
      expect(analytics.body.testPassRates.smoke).toHaveLength(7);
      expect(analytics.body.dora.timeToRestoreMin.p50).toEqual(
        expect.any(Number),
      );
      expect(analytics.body.dora.tier).toEqual(expect.any(String));
      const empty = await call(
        main,
        'GET',
        '/entities/default/component/unused/analytics',
      );
      expect(empty.body.dora.tier).toBeNull();

      const scorecard = await call(
        main,
        'GET',
        '/scorecard?from=2026-02-01&to=2026-02-28',
      );
      expect(
        scorecard.body.services.map((e: any) => [e.serviceId, e.entityRef]),
      ).toEqual(
        expect.arrayContaining([
          ['authn', 'component:default/authentication'],
          ['ledger', undefined],
        ]),
      );
      const csv = await call(
        main,
        'GET',
        '/scorecard/csv?from=2026-02-01&to=2026-02-28',
      );
      expect(csv.headers['content-disposition']).toBe(
        'attachment; filename="scorecard-2026-02-28.csv"',
      );
      const header = checker.doc.paths['/scorecard/csv'].get.responses['200']
        .content['text/csv'].example as string;
      expect(csv.text.split('\r\n')[0]).toBe(header.split('\r\n')[0]);

      const rejected = await call(main, 'GET', '/diagnostics/rejected-events');
      expect(Object.keys(rejected.body.counts)).toContain('invalid-event');
    });

    it('read routes answer 401 without credentials, cluster-wide ones 403 without the permission', async () => {
      // Those without a login (the readiness probe) have a test of their own.
      const reads = checker
        .operations()
        .filter(op => op.method === 'get' && op.schema.security?.length !== 0);
      expect(reads.map(op => op.operationId).sort()).toEqual(
        Object.keys(SAMPLE_URLS).sort(),
      );
      for (const op of reads) {
        const url = SAMPLE_URLS[op.operationId];
        const anonymous = await call(main, 'GET', url, {
          headers: { Authorization: NO_AUTH },
        });
        expect({ url, status: anonymous.status }).toEqual({ url, status: 401 });
      }
      // Without the plugin's permission, cluster-wide routes answer 403 and
      // entity routes (governed by catalog access) still answer.
      for (const op of reads) {
        const url = SAMPLE_URLS[op.operationId];
        const res = await call(restricted, 'GET', url);
        // That backend has no test cases: a test's history getting as far
        // as not finding the test shows it was not refused.
        const found = op.operationId === 'getEntityTestHistory' ? 404 : 200;
        expect({ url, status: res.status }).toEqual({
          url,
          status: op.schema.responses['403'] ? 403 : found,
        });
      }
    });

    it('POST /ingest/sources/{sourceId} and /ingest/test-reports answer as documented', async () => {
      const sources = resolve(
        dirname(
          require.resolve(
            '@deployment-quality/plugin-deployment-quality-backend-module-sources/package.json',
          ),
        ),
        'src/__fixtures__/github',
      );
      const github = (file: string) =>
        readFileSync(resolve(sources, file), 'utf8');
      const signed = (raw: string, event: string, secret = SECRET) => ({
        body: raw,
        headers: {
          'Content-Type': 'application/json',
          'X-GitHub-Event': event,
          'X-Hub-Signature-256': `sha256=${createHmac('sha256', secret)
            .update(raw)
            .digest('hex')}`,
        },
      });
      const deliver = (options: Options, source = 'github') =>
        call(main, 'POST', `/ingest/sources/${source}`, options);

      const status = github('deployment_status.created.success.json');
      const stored = await deliver(signed(status, 'deployment_status'));
      expect(stored.status).toBe(202);
      expect(stored.body.results).toHaveLength(1);
      const ignored = await deliver(
        signed(github('workflow_run.requested.json'), 'workflow_run'),
      );
      expect(ignored.body.status).toBe('ignored');
      const broken = JSON.parse(status);
      delete broken.deployment.sha;
      const invalid = await deliver(
        signed(JSON.stringify(broken), 'deployment_status'),
      );
      expect(invalid.status).toBe(400);
      expect(
        (await deliver(signed(status, 'deployment_status', 'x'.repeat(20))))
          .status,
      ).toBe(401);
      expect((await deliver({ body: {} }, 'gitlab')).status).toBe(404);
      const huge = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES) });
      expect((await deliver(signed(huge, 'ping'))).status).toBe(413);

      const report = (query: string, body: string, type = 'application/xml') =>
        call(main, 'POST', `/ingest/test-reports?${query}`, {
          body,
          headers: { ...WEBHOOK_AUTH, 'Content-Type': type },
        });
      const build =
        'clusterId=mira-us-west-2&serviceId=ledger&buildVersion=9.9.9';
      const junit =
        '<testsuite name="smoke" tests="2" timestamp="2026-02-24T09:00:00Z"><testcase name="a"/><testcase name="b"><failure/></testcase></testsuite>';
      const accepted = await report(
        `${build}&reportUrl=${encodeURIComponent(
          'https://ci.example.com/r/1',
        )}`,
        junit,
      );
      expect(accepted.status).toBe(202);
      expect((await report('attemptId=x', '<testsuite')).status).toBe(400);
      expect((await report(build, junit, 'text/plain')).status).toBe(400);
      expect(
        (
          await call(main, 'POST', `/ingest/test-reports?${build}`, {
            body: junit,
            headers: { 'Content-Type': 'application/xml' },
          })
        ).status,
      ).toBe(401);
      expect(
        (await report(build, `<a>${'x'.repeat(MAX_BODY_BYTES)}</a>`)).status,
      ).toBe(413);
    });

    it('a report’s test cases answer as documented: flaky tests and a test’s history', async () => {
      const entity = '/entities/default/component/authentication';
      const window = 'from=2026-02-01&to=2026-02-28';
      for (const [time, outcome] of [
        ['2026-02-24T09:00:00Z', '<failure message="timeout after 31 s"/>'],
        ['2026-02-24T10:00:00Z', ''],
      ]) {
        const res = await call(
          main,
          'POST',
          `/ingest/test-reports?attemptId=${encodeURIComponent(ATTEMPT_ID)}`,
          {
            body: `<testsuite name="api" timestamp="${time}"><testcase classname="Cart" name="totals" time="0.5">${outcome}</testcase><testcase classname="Cart" name="adds"><flakyFailure message="reset"/></testcase></testsuite>`,
            headers: { ...WEBHOOK_AUTH, 'Content-Type': 'application/xml' },
          },
        );
        expect(res.status).toBe(202);
      }
      const flaky = await call(main, 'GET', `${entity}/tests/flaky?${window}`);
      expect(flaky.status).toBe(200);
      expect(
        flaky.body.tests.map((t: { name: string }) => t.name).sort(),
      ).toEqual(['adds', 'totals']);
      const history = await call(
        main,
        'GET',
        `${entity}/tests/cases/${flaky.body.tests[0].caseId}?${window}&limit=1`,
      );
      expect(history.status).toBe(200);
      expect(history.body.outcomes).toHaveLength(1);
      const signatures = await call(main, 'GET', `/tests/signatures?${window}`);
      const timeout = signatures.body.signatures.find(
        (s: { signature: string }) => s.signature === 'timeout after <n> s',
      );
      expect(timeout).toMatchObject({ attempts: 1, failures: 1 });
      const occurrences = await call(
        main,
        'GET',
        `/tests/signatures/${timeout.signatureId}?${window}`,
      );
      expect(occurrences.body.occurrences).toEqual([
        expect.objectContaining({
          name: 'totals',
          message: 'timeout after 31 s',
        }),
      ]);

      // Quarantine: listed, put in place, lifted; refused as documented.
      const byName = Object.fromEntries(
        flaky.body.tests.map((t: { name: string; caseId: string }) => [
          t.name,
          t.caseId,
        ]),
      );
      const quarantine = `${entity}/tests/quarantine`;
      const listed = await call(main, 'GET', quarantine);
      expect(listed.body.tests.map((t: { name: string }) => t.name)).toEqual([
        'totals',
      ]);
      const put = (backend: typeof main, id: string, body: object) =>
        call(backend, 'PUT', `${quarantine}/${id}`, { body });
      expect((await put(main, byName.adds, { reason: 'flaky' })).status).toBe(
        200,
      );
      expect((await put(main, byName.adds, { reason: '' })).status).toBe(400);
      expect((await put(main, '999999', { reason: 'x' })).status).toBe(404);
      expect((await put(restricted, byName.adds, { reason: 'x' })).status).toBe(
        403,
      );
      const lift = (backend: typeof main, id: string, headers = {}) =>
        call(backend, 'DELETE', `${quarantine}/${id}`, { headers });
      expect((await lift(main, byName.adds)).status).toBe(204);
      expect((await lift(main, byName.adds)).status).toBe(404);
      expect((await lift(main, byName.totals)).status).toBe(409);
      expect((await lift(restricted, byName.adds)).status).toBe(403);
      expect(
        (await lift(main, byName.adds, { Authorization: NO_AUTH })).status,
      ).toBe(401);
      expect(
        (
          await call(main, 'PUT', `${quarantine}/${byName.adds}`, {
            body: { reason: 'x' },
            headers: { Authorization: NO_AUTH },
          })
        ).status,
      ).toBe(401);
    });

    it('answers 429 with Retry-After past a credential’s rate', async () => {
      const limited = { 'X-Webhook-Secret': LIMITED_SECRET };
      const event = deployment({ serviceId: 'ledger', runNumber: 30 });
      expect((await post(event, limited)).status).toBe(202);
      const webhook = await post(event, limited);
      const report = await call(
        main,
        'POST',
        '/ingest/test-reports?attemptId=x',
        {
          body: '<testsuite name="smoke"/>',
          headers: { ...limited, 'Content-Type': 'application/xml' },
        },
      );
      const raw = JSON.stringify({ zen: 'Keep it logically awesome.' });
      const delivery = () =>
        call(main, 'POST', '/ingest/sources/github', {
          body: raw,
          headers: {
            'Content-Type': 'application/json',
            'X-GitHub-Event': 'ping',
            'X-Hub-Signature-256': `sha256=${createHmac(
              'sha256',
              LIMITED_SECRET,
            )
              .update(raw)
              .digest('hex')}`,
          },
        });
      expect((await delivery()).status).toBe(202);
      const source = await delivery();
      for (const res of [webhook, report, source]) {
        expect(res.status).toBe(429);
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
    });

    it('GET /health answers 200 without a login, and 503 once the database is gone', async () => {
      const probed = await startBackend(databaseId);
      try {
        const up = await call(probed, 'GET', '/health', {
          headers: { Authorization: NO_AUTH },
        });
        expect(up.status).toBe(200);
        await probed.knex.destroy();
        const down = await call(probed, 'GET', '/health');
        expect(down.status).toBe(503);
      } finally {
        await probed.stop();
      }
    });

    it('POST /admin/dead-letters/redrive answers as documented', async () => {
      const url = '/admin/dead-letters/redrive';
      const user = { Authorization: mockCredentials.user.header() };
      const status = async (
        backend: typeof main,
        options: { headers?: Record<string, string>; body?: object } = {},
      ) => (await call(backend, 'POST', url, options)).status;
      expect(await status(main, { headers: { Authorization: NO_AUTH } })).toBe(
        401,
      );
      expect(await status(main, { headers: user, body: { max: 0 } })).toBe(400);
      expect(await status(restricted, { headers: user })).toBe(403);
      // Not in queue mode.
      expect(await status(main, { headers: user })).toBe(409);
      const sqs = await startLocalSqs();
      const queued = await startBackend(databaseId, {
        sqsPort: Number(new URL(sqs.endpoint).port),
      });
      try {
        const res = await call(queued, 'POST', url, {
          headers: user,
          body: { max: 5 },
        });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ moved: 0, failed: 0 });
      } finally {
        await queued.stop();
        await sqs.stop();
      }
    });

    it('produced every response the spec documents', () => {
      const documented = checker
        .operations()
        .flatMap(op =>
          Object.keys(op.schema.responses).map(
            status => `${op.method.toUpperCase()} ${op.path} ${status}`,
          ),
        );
      expect(documented.filter(d => !checker.seen.has(d))).toEqual([]);
    });
  },
);
