import {
  TestDatabaseId,
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { webhookDeployment } from './__testUtils__/events';
import { serviceEntity } from './__testUtils__/entities';
import { deploymentQualityPlugin } from './plugin';
import { testDatabaseIds } from './__testUtils__/databases';
import { LocalSqs, eventually, startLocalSqs } from './__testUtils__/localSqs';
import { permissionsWithoutPluginOnes } from './__testUtils__/permissions';

jest.setTimeout(60_000);

const SECRET = 'test-secret-0123456789';
const OTHER_SECRET = 'rotated-secret-0123456789';
const HMAC_ONLY_SECRET = 'signing-only-secret-0123456789';
const BASE = '/api/deployment-quality';
const OUTSIDER = 'user:default/outsider';

const entities: Entity[] = [
  serviceEntity('authentication', {
    title: 'Authentication',
    serviceId: 'authn',
  }),
  serviceEntity('billing', { owner: 'team-b' }),
  serviceEntity('vault', { owner: 'security' }),
];

const isOutsider = (credentials: any) =>
  credentials?.principal?.userEntityRef === OUTSIDER;

/**
 * A policy under which the outsider may not read entities owned by
 * `security` (here: `vault`), as a conditional decision like the catalog's
 * own policies give; everything else is allowed. The real catalog and
 * permission backends are in realBackends.test.ts.
 */
function permissionsHidingVault() {
  return createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: () => ({
      authorize: async (requests: any[]) =>
        requests.map(() => ({ result: AuthorizeResult.ALLOW })),
      authorizeConditional: async (requests: any[], options: any) =>
        requests.map(asked =>
          asked.permission.name === 'catalog.entity.read' &&
          isOutsider(options?.credentials)
            ? {
                result: AuthorizeResult.CONDITIONAL,
                pluginId: 'catalog',
                resourceType: 'catalog-entity',
                conditions: {
                  not: {
                    rule: 'HAS_SPEC',
                    resourceType: 'catalog-entity',
                    params: { key: 'owner', value: 'security' },
                  },
                },
              }
            : { result: AuthorizeResult.ALLOW },
        ),
    }),
  });
}

/**
 * The in-memory catalog, except that the outsider may not read `vault`, as
 * the catalog would under the policy above.
 */
function catalogWithRestrictedEntity() {
  const catalog = catalogServiceMock({ entities });
  const visible = (entity: Entity | undefined, options?: any) =>
    entity &&
    !(entity.metadata.name === 'vault' && isOutsider(options?.credentials))
      ? entity
      : undefined;
  return createServiceFactory({
    service: catalogServiceRef,
    deps: {},
    factory: () => ({
      ...catalog,
      getEntityByRef: async (ref: any, options: any) =>
        visible(await catalog.getEntityByRef(ref, options), options),
      getEntities: async (req: any, options: any) => {
        const res = await catalog.getEntities(req, options);
        return { items: res.items.filter(e => visible(e, options)) };
      },
      queryEntities: async (req: any, options: any) => {
        const res = await catalog.queryEntities(req, options);
        return { ...res, items: res.items.filter(e => visible(e, options)) };
      },
    }),
  });
}

const databases = TestDatabases.create({ ids: testDatabaseIds() });

async function startBackend(
  databaseId: TestDatabaseId,
  webhook: Record<string, unknown> = {},
  sqs?: Record<string, string | number>,
  extraFeatures: Parameters<typeof startTestBackend>[0]['features'] = [],
) {
  const knex = await databases.init(databaseId);
  const backend = await startTestBackend({
    features: [
      deploymentQualityPlugin,
      mockServices.database.factory({ knex }),
      catalogWithRestrictedEntity(),
      // A test that brings its own permissions replaces the restriction.
      ...(extraFeatures.length ? extraFeatures : [permissionsHidingVault()]),
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
              },
              { id: 'pavo-us-east-1', name: 'Pavo US-East-1' },
            ],
            ingestion: {
              webhook: {
                keys: [
                  { name: 'ci', secret: SECRET },
                  { name: 'ci-rotated', secret: OTHER_SECRET },
                  { name: 'signer', secret: HMAC_ONLY_SECRET, type: 'hmac' },
                ],
                ...webhook,
              },
              ...(sqs ? { sqs } : {}),
            },
            gates: {
              requiredSuites: ['functional', 'REGRESSION'],
              minPassRate: { FUNCTIONAL: 90 },
            },
          },
        },
      }),
    ],
  });
  const { server } = backend;
  return { server, knex, stop: () => backend.stop() };
}

const deployment = webhookDeployment;

const ATTEMPT_ID = 'mira-us-west-2:authn:3.4.3:7';

describe.each(databases.eachSupportedId())(
  'plugin on %p',
  (databaseId: TestDatabaseId) => {
    describe('POST /ingest/webhook', () => {
      it('accepts the shared secret, a bearer key and an HMAC signature', async () => {
        const { server } = await startBackend(databaseId);
        const bodies = [1, 2, 3].map(n => deployment({ runNumber: n }));

        await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', SECRET)
          .send(bodies[0])
          .expect(202)
          .expect(res =>
            expect(res.body).toEqual({
              eventId: expect.any(String),
              status: 'stored',
              attemptId: 'mira-us-west-2:authn:3.4.3:1',
            }),
          );
        await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('Authorization', `Bearer ${OTHER_SECRET}`)
          .send(bodies[1])
          .expect(202);
        const raw = JSON.stringify(bodies[2]);
        await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('Content-Type', 'application/json')
          .set(
            'X-Signature-256',
            `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`,
          )
          .send(raw)
          .expect(202);

        const page = await request(server)
          .get(`${BASE}/services/authn/attempts`)
          .expect(200);
        expect(page.body.attempts.map((a: any) => a.id)).toEqual([
          'mira-us-west-2:authn:3.4.3:3',
          'mira-us-west-2:authn:3.4.3:2',
          'mira-us-west-2:authn:3.4.3:1',
        ]);
      });

      it('holds a typed key to its form and records the key that sent each event', async () => {
        const { server, knex } = await startBackend(databaseId);
        await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', HMAC_ONLY_SECRET)
          .send(deployment())
          .expect(401);
        const raw = JSON.stringify(deployment({}, { eventId: 'signed' }));
        await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('Content-Type', 'application/json')
          .set(
            'X-Signature-256',
            `sha256=${createHmac('sha256', HMAC_ONLY_SECRET)
              .update(raw)
              .digest('hex')}`,
          )
          .send(raw)
          .expect(202);
        await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('Authorization', `Bearer ${OTHER_SECRET}`)
          .send(deployment({ runNumber: 2 }, { eventId: 'bearer' }))
          .expect(202);
        const rows = await knex('dq_ingested_events')
          .select('event_id', 'source_key', 'source')
          .orderBy('event_id');
        expect(rows).toEqual([
          {
            event_id: 'bearer',
            source_key: 'ci-rotated',
            source: 'github-actions',
          },
          {
            event_id: 'signed',
            source_key: 'signer',
            source: 'github-actions',
          },
        ]);
      });

      it('answers 401 and stores nothing without valid credentials', async () => {
        const { server, knex } = await startBackend(databaseId);
        const raw = JSON.stringify(deployment());
        const attempts = [
          request(server).post(`${BASE}/ingest/webhook`).send(deployment()),
          request(server)
            .post(`${BASE}/ingest/webhook`)
            .set('X-Webhook-Secret', 'wrong-secret-0123456789')
            .send(deployment()),
          request(server)
            .post(`${BASE}/ingest/webhook`)
            .set('Authorization', 'Bearer nope')
            .send(deployment()),
          request(server)
            .post(`${BASE}/ingest/webhook`)
            .set('Content-Type', 'application/json')
            .set(
              'X-Signature-256',
              `sha256=${createHmac('sha256', SECRET)
                .update(`${raw} `)
                .digest('hex')}`,
            )
            .send(raw),
        ];
        for (const attempt of attempts) {
          const res = await attempt;
          expect(res.status).toBe(401);
          expect(res.body.error.name).toBe('AuthenticationError');
        }
        const [{ n }] = await knex('dq_ingested_events').count({ n: '*' });
        expect(Number(n)).toBe(0);
      });

      it('answers 400 listing every problem, and stores nothing', async () => {
        const { server, knex } = await startBackend(databaseId);
        const res = await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', SECRET)
          .send(
            deployment({
              status: 'DONE',
              startedAt: 'yesterday',
              gitSha: 'not-hex!',
              serviceId: undefined,
            }),
          )
          .expect(400);
        expect(res.body.error.name).toBe('InputError');
        expect(res.body.problems.map((p: any) => p.path).sort()).toEqual([
          'payload.gitSha',
          'payload.serviceId',
          'payload.startedAt',
          'payload.status',
        ]);
        const [{ n }] = await knex('dq_ingested_events').count({ n: '*' });
        expect(Number(n)).toBe(0);
      });

      it('answers 400 for an unknown event type and for a body that is not JSON', async () => {
        const { server } = await startBackend(databaseId);
        const unknownType = await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', SECRET)
          .send({ ...deployment(), eventType: 'scorecard-v9' })
          .expect(400);
        expect(unknownType.body.problems[0].path).toBe('eventType');

        await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', SECRET)
          .set('Content-Type', 'application/json')
          .send('{"source": ')
          .expect(400);
      });

      it('answers 413 for a body over the limit', async () => {
        const { server } = await startBackend(databaseId, {
          maxBodyBytes: 1024,
        });
        const res = await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', SECRET)
          .send(
            deployment({ failureReason: 'x'.repeat(2000), status: 'FAILED' }),
          )
          .expect(413);
        expect(res.body.error.name).toBe('PayloadTooLargeError');
      });

      it('stores the same event twice once, answering 202 both times', async () => {
        const { server, knex } = await startBackend(databaseId);
        const body = deployment({}, { eventId: 'ci-run-1' });
        for (const duplicate of [undefined, true]) {
          const res = await request(server)
            .post(`${BASE}/ingest/webhook`)
            .set('X-Webhook-Secret', SECRET)
            .send(body)
            .expect(202);
          expect(res.body).toEqual({
            eventId: 'ci-run-1',
            status: 'stored',
            attemptId: ATTEMPT_ID,
            ...(duplicate ? { duplicate } : {}),
          });
        }
        // Without an eventId the id is derived from the body: a retry is a duplicate too.
        const first = await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', SECRET)
          .send(deployment({ runNumber: 8 }));
        const retry = await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', SECRET)
          .send(deployment({ runNumber: 8 }));
        expect(retry.body).toEqual({ ...first.body, duplicate: true });
        const [{ n }] = await knex('dq_ingested_events').count({ n: '*' });
        expect(Number(n)).toBe(2);
      });

      it('accepts a batch, answering per event', async () => {
        const { server } = await startBackend(databaseId);
        const res = await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', SECRET)
          .send({
            events: [
              deployment(),
              {
                ...deployment(),
                eventId: 'bad-1',
                payload: { clusterId: 'x' },
              },
            ],
          })
          .expect(202);
        expect(res.body.results).toEqual([
          {
            eventId: expect.any(String),
            status: 'stored',
            attemptId: ATTEMPT_ID,
          },
          {
            eventId: 'bad-1',
            status: 'rejected',
            problems: expect.arrayContaining([
              { path: 'payload.serviceId', message: expect.any(String) },
            ]),
          },
        ]);
      });
    });

    describe('queue mode', () => {
      let sqs: LocalSqs | undefined;
      afterEach(async () => {
        await sqs?.stop();
        sqs = undefined;
      });

      it('publishes webhook events to SQS, answers queued, and the consumer stores them', async () => {
        sqs = await startLocalSqs();
        const { server, stop } = await startBackend(
          databaseId,
          {},
          {
            queueUrl: sqs.queueUrl,
            endpoint: sqs.endpoint,
            region: 'us-east-1',
            waitTimeSeconds: 1,
          },
        );
        try {
          const res = await request(server)
            .post(`${BASE}/ingest/webhook`)
            .set('X-Webhook-Secret', SECRET)
            .send({ events: [deployment(), deployment({ runNumber: 8 })] })
            .expect(202);
          expect(res.body.results).toEqual([
            {
              eventId: expect.any(String),
              status: 'queued',
              attemptId: ATTEMPT_ID,
            },
            {
              eventId: expect.any(String),
              status: 'queued',
              attemptId: 'mira-us-west-2:authn:3.4.3:8',
            },
          ]);
          await eventually(async () => {
            const page = await request(server).get(
              `${BASE}/services/authn/attempts`,
            );
            return page.status === 200 && page.body.attempts.length === 2;
          });
          expect(await sqs.depth(sqs.queueUrl)).toBe(0);

          // The status route reports the consumer and the polled depths.
          const status = await request(server)
            .get(`${BASE}/status`)
            .expect(200);
          expect(status.body).toMatchObject({
            ok: true,
            problems: [],
            database: { ok: true },
            ingestion: {
              mode: 'queue',
              consumer: {
                state: 'running',
                lastReceiveAt: expect.any(String),
                receiveErrors: 0,
                failedWrites: 0,
              },
              lastIngestLagSeconds: expect.any(Number),
              queue: { depth: expect.any(Number), dlqDepth: 0 },
            },
            rollups: { queuedKeys: expect.any(Number) },
          });
        } finally {
          await stop();
        }
      });
    });

    it('lists rejected webhook events with their reasons to Backstage users only', async () => {
      const { server } = await startBackend(databaseId);
      await request(server)
        .post(`${BASE}/ingest/webhook`)
        .set('X-Webhook-Secret', SECRET)
        .set('Content-Type', 'application/json')
        .send('{oops')
        .expect(400);
      await request(server)
        .post(`${BASE}/ingest/webhook`)
        .set('X-Webhook-Secret', SECRET)
        .send(deployment({ status: 'DONE' }, { eventId: 'bad-status' }))
        .expect(400);
      // Unauthenticated junk is not recorded: it would let anyone fill the table.
      await request(server)
        .post(`${BASE}/ingest/webhook`)
        .send(deployment({ status: 'DONE' }))
        .expect(401);

      const res = await request(server)
        .get(`${BASE}/diagnostics/rejected-events?limit=10`)
        .expect(200);
      expect(res.body.counts).toEqual({
        'malformed-json': 1,
        'invalid-event': 1,
      });
      expect(res.body.events).toEqual([
        expect.objectContaining({
          transport: 'webhook',
          reason: 'invalid-event',
          eventId: 'bad-status',
          source: 'github-actions',
          problems: [{ path: 'payload.status', message: expect.any(String) }],
        }),
        expect.objectContaining({ reason: 'malformed-json', source: 'ci' }),
      ]);
      await request(server)
        .get(`${BASE}/diagnostics/rejected-events`)
        .set('Authorization', mockCredentials.none.header())
        .expect(401);
      await request(server)
        .get(`${BASE}/diagnostics/rejected-events?limit=0`)
        .expect(400);
    });

    it('answers 403 on cluster-wide routes without the read permission, and still serves readable entities', async () => {
      const { server } = await startBackend(databaseId, {}, undefined, [
        permissionsWithoutPluginOnes(),
      ]);
      for (const path of [
        '/clusters',
        '/clusters/mira-us-west-2/summary',
        '/clusters/mira-us-west-2/attempts',
        '/services',
        '/services/authn/attempts',
        '/builds/x',
        '/analytics',
        '/gates?serviceId=authn&clusterId=mira-us-west-2&buildVersion=3.4.3',
        '/scorecard',
        '/scorecard/csv',
        '/diagnostics/rejected-events',
      ]) {
        const res = await request(server).get(`${BASE}${path}`);
        expect({ path, status: res.status }).toEqual({ path, status: 403 });
      }
      await request(server)
        .get(`${BASE}/entities/default/component/authentication/summary`)
        .expect(200);
    });

    describe('read routes', () => {
      async function seeded() {
        const backend = await startBackend(databaseId);
        const send = (body: object) =>
          request(backend.server)
            .post(`${BASE}/ingest/webhook`)
            .set('X-Webhook-Secret', SECRET)
            .send(body)
            .expect(202);
        await send(deployment());
        await send(
          deployment({
            clusterId: 'aquila-eu-west-1',
            serviceId: 'billing',
            buildVersion: '1.0.0',
            status: 'FAILED',
            failureReason: 'health check failed',
          }),
        );
        await send({
          source: 'ci',
          eventType: 'test-result',
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
        });
        await send({
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
        });
        return backend;
      }

      it('answers an unchanged fleet view with 304 to its ETag', async () => {
        const { server } = await seeded();
        const first = await request(server).get(`${BASE}/clusters`).expect(200);
        expect(first.headers.etag).toMatch(/^W\/"[0-9a-f]+-[\w-]+"$/);
        const again = await request(server).get(`${BASE}/clusters`).expect(200);
        expect(again.headers.etag).toBe(first.headers.etag);
        await request(server)
          .get(`${BASE}/clusters`)
          .set('If-None-Match', first.headers.etag)
          .expect(304);
      });

      it('GET /clusters lists configured and seen clusters with health', async () => {
        const { server } = await seeded();
        const res = await request(server).get(`${BASE}/clusters`).expect(200);
        expect(res.body.clusters).toEqual([
          expect.objectContaining({
            id: 'mira-us-west-2',
            name: 'Mira US-West-2',
            region: 'us-west-2',
            configured: true,
            summary: {
              services: 1,
              healthy: 1,
              attention: 0,
              latestAttemptAt: '2026-02-24T09:00:00.000Z',
            },
          }),
          expect.objectContaining({
            id: 'pavo-us-east-1',
            configured: true,
            summary: {
              services: 0,
              healthy: 0,
              attention: 0,
              latestAttemptAt: null,
            },
          }),
          expect.objectContaining({
            id: 'aquila-eu-west-1',
            configured: false,
            summary: expect.objectContaining({ services: 1, attention: 1 }),
          }),
        ]);
      });

      it('GET /clusters/:id/summary answers totals, versions and gates; 404 for an unknown cluster', async () => {
        const { server } = await seeded();
        const res = await request(server)
          .get(`${BASE}/clusters/mira-us-west-2/summary`)
          .expect(200);
        expect(res.body).toEqual({
          cluster: expect.objectContaining({ id: 'mira-us-west-2' }),
          summary: {
            totalAttempts: 1,
            success: 1,
            failed: 0,
            rollback: 0,
            inProgress: 0,
          },
          services: [
            {
              serviceId: 'authn',
              serviceName: 'Authentication',
              entityRef: 'component:default/authentication',
              currentVersion: '3.4.3',
              latestAttempt: {
                id: ATTEMPT_ID,
                status: 'SUCCESS',
                buildVersion: '3.4.3',
                startedAt: '2026-02-24T09:00:00.000Z',
              },
              gates: {
                functional: { passed: 19, total: 20, failed: 1, skipped: 0 },
              },
            },
          ],
          servicesPage: { offset: 0, limit: 100, total: 1 },
        });
        const page = await request(server)
          .get(`${BASE}/clusters/mira-us-west-2/summary?limit=1&offset=1`)
          .expect(200);
        expect(page.body.services).toEqual([]);
        expect(page.body.servicesPage).toEqual({
          offset: 1,
          limit: 1,
          total: 1,
        });
        const bad = await request(server)
          .get(`${BASE}/clusters/mira-us-west-2/summary?limit=0`)
          .expect(400);
        expect(bad.body.error.message).toMatch(/limit/);
        const missing = await request(server)
          .get(`${BASE}/clusters/nowhere/summary`)
          .expect(404);
        expect(missing.body.error.name).toBe('NotFoundError');
      });

      it('GET /clusters/:id/attempts filters, pages, and rejects bad parameters', async () => {
        const { server } = await seeded();
        const res = await request(server)
          .get(
            `${BASE}/clusters/aquila-eu-west-1/attempts?status=FAILED&limit=1`,
          )
          .expect(200);
        expect(res.body.attempts).toEqual([
          expect.objectContaining({
            serviceId: 'billing',
            status: 'FAILED',
            failureReason: 'health check failed',
            gates: {},
          }),
        ]);
        expect(res.body.nextCursor).toBeUndefined();

        const empty = await request(server)
          .get(`${BASE}/clusters/aquila-eu-west-1/attempts?status=SUCCESS`)
          .expect(200);
        expect(empty.body).toEqual({ attempts: [] });

        for (const [query, param] of [
          ['limit=0', 'limit'],
          ['limit=501', 'limit'],
          ['limit=ten', 'limit'],
          ['status=DONE', 'status'],
          ['cursor=%%%', 'cursor'],
        ]) {
          const bad = await request(server)
            .get(`${BASE}/clusters/mira-us-west-2/attempts?${query}`)
            .expect(400);
          expect(bad.body.error.message).toContain(param);
        }
        await request(server)
          .get(`${BASE}/clusters/nowhere/attempts`)
          .expect(404);
      });

      it('checks requests against the OpenAPI spec before any handler runs, and serves the spec', async () => {
        const { server } = await seeded();
        // Only the spec refuses an unknown parameter: the handlers ignore it.
        const unknown = await request(server)
          .get(`${BASE}/clusters/mira-us-west-2/attempts?colour=blue`)
          .expect(400);
        expect(unknown.body.error.message).toContain('colour');

        // CI authors read the contract without a Backstage login.
        const served = await request(server)
          .get(`${BASE}/openapi.json`)
          .set('Authorization', mockCredentials.none.header())
          .expect(200);
        expect(served.body.info.title).toBe('deployment-quality');
        expect(Object.keys(served.body.paths)).toContain(
          `${BASE}/clusters/{clusterId}/attempts`,
        );
      });

      it('GET /services and /services/:id/attempts; 404 for an unknown service', async () => {
        const { server } = await seeded();
        const services = await request(server)
          .get(`${BASE}/services`)
          .expect(200);
        expect(services.body.services).toEqual(
          expect.arrayContaining([
            {
              serviceId: 'authn',
              entityRef: 'component:default/authentication',
              clusters: ['mira-us-west-2'],
              latestAttemptAt: '2026-02-24T09:00:00.000Z',
            },
            {
              serviceId: 'billing',
              entityRef: 'component:default/billing',
              clusters: ['aquila-eu-west-1'],
              latestAttemptAt: '2026-02-24T09:00:00.000Z',
            },
          ]),
        );
        const attempts = await request(server)
          .get(`${BASE}/services/authn/attempts?clusterId=mira-us-west-2`)
          .expect(200);
        expect(attempts.body.attempts).toHaveLength(1);
        expect(attempts.body.attempts[0].gates.functional.passed).toBe(19);
        await request(server).get(`${BASE}/services/nope/attempts`).expect(404);
        await request(server)
          .get(`${BASE}/services/authn/attempts?clusterId=bad:id`)
          .expect(400);
      });

      it('GET /builds/:attemptId answers attempt, test runs and promotions; 404 when unknown', async () => {
        const { server } = await seeded();
        const res = await request(server)
          .get(`${BASE}/builds/${encodeURIComponent(ATTEMPT_ID)}`)
          .expect(200);
        expect(res.body.attempt).toMatchObject({
          id: ATTEMPT_ID,
          status: 'SUCCESS',
        });
        expect(res.body.testRuns).toEqual([
          {
            attemptId: ATTEMPT_ID,
            suiteType: 'FUNCTIONAL',
            total: 20,
            passed: 19,
            failed: 1,
            skipped: 0,
            durationSec: 30.5,
            executedAt: '2026-02-24T09:12:00.000Z',
            reportUrl: 'https://ci.example.com/reports/1',
          },
        ]);
        expect(res.body.promotions).toEqual([
          expect.objectContaining({
            toClusterId: 'pavo-us-east-1',
            promotedBy: 'alice',
          }),
        ]);
        await request(server).get(`${BASE}/builds/no-such-attempt`).expect(404);
      });

      it('entity routes resolve the annotation or the name, and hide unreadable entities', async () => {
        const { server } = await seeded();
        // An unconfigured cluster sorts after the configured ones, whatever its id.
        await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', SECRET)
          .send(deployment({ clusterId: 'aquila-eu-west-1', runNumber: 9 }))
          .expect(202);
        const summary = await request(server)
          .get(`${BASE}/entities/default/component/authentication/summary`)
          .expect(200);
        expect(summary.body).toEqual({
          entityRef: 'component:default/authentication',
          serviceId: 'authn',
          clusters: [
            {
              cluster: expect.objectContaining({ id: 'mira-us-west-2' }),
              currentVersion: '3.4.3',
              latestAttempt: expect.objectContaining({ id: ATTEMPT_ID }),
              gates: {
                functional: { passed: 19, total: 20, failed: 1, skipped: 0 },
              },
            },
            {
              cluster: expect.objectContaining({
                id: 'aquila-eu-west-1',
                configured: false,
              }),
              currentVersion: '3.4.3',
              latestAttempt: expect.objectContaining({
                id: 'aquila-eu-west-1:authn:3.4.3:9',
              }),
              gates: {},
            },
          ],
        });
        const byName = await request(server)
          .get(
            `${BASE}/entities/default/component/billing/attempts?status=FAILED`,
          )
          .expect(200);
        expect(byName.body.attempts).toHaveLength(1);

        await request(server)
          .get(`${BASE}/entities/default/component/ghost/summary`)
          .expect(404);
        // vault exists, but the outsider may not read it: same 404 as a missing entity.
        await request(server)
          .get(`${BASE}/entities/default/component/vault/summary`)
          .expect(200);
        const hidden = await request(server)
          .get(`${BASE}/entities/default/component/vault/summary`)
          .set('Authorization', mockCredentials.user.header(OUTSIDER))
          .expect(404);
        expect(hidden.body.error.name).toBe('NotFoundError');
        await request(server)
          .get(`${BASE}/entities/default/component/vault/attempts`)
          .set('Authorization', mockCredentials.user.header(OUTSIDER))
          .expect(404);
      });

      it('GET /entities/…/promotions pages the service’s promotions newest first', async () => {
        const { server } = await seeded();
        await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', SECRET)
          .send({
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
          })
          .expect(202);
        const path = `${BASE}/entities/default/component/authentication/promotions`;
        const first = await request(server).get(`${path}?limit=1`).expect(200);
        expect(first.body.promotions).toEqual([
          expect.objectContaining({ promotionId: 'later', promotedBy: 'bob' }),
        ]);
        const second = await request(server)
          .get(`${path}?limit=1&cursor=${first.body.nextCursor}`)
          .expect(200);
        expect(second.body).toEqual({
          promotions: [expect.objectContaining({ promotedBy: 'alice' })],
        });
        await request(server).get(`${path}?limit=0`).expect(400);
        await request(server).get(`${path}?cursor=nope`).expect(400);
        await request(server)
          .get(`${BASE}/entities/default/component/ghost/promotions`)
          .expect(404);
        await request(server)
          .get(`${BASE}/entities/default/component/vault/promotions`)
          .set('Authorization', mockCredentials.user.header(OUTSIDER))
          .expect(404);
      });

      it('GET /gates tells CI whether a build passed its gates on a cluster', async () => {
        const { server } = await seeded();
        const gates = (query: string) =>
          request(server).get(`${BASE}/gates?${query}`);
        const build =
          'serviceId=authn&clusterId=mira-us-west-2&buildVersion=3.4.3';
        const before = await gates(build).expect(200);
        expect(before.body).toEqual({
          serviceId: 'authn',
          buildVersion: '3.4.3',
          clusterId: 'mira-us-west-2',
          attemptId: ATTEMPT_ID,
          attemptStatus: 'SUCCESS',
          passed: false,
          suites: [
            {
              suite: 'FUNCTIONAL',
              passed: 19,
              total: 20,
              failed: 1,
              skipped: 0,
              passRate: 95,
              threshold: 90,
              ok: true,
              quarantined: 0,
            },
          ],
          missing: ['REGRESSION'],
          reasons: ['required suite REGRESSION has not run'],
        });
        await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', SECRET)
          .send({
            source: 'ci',
            eventType: 'test-result',
            payload: {
              attemptId: ATTEMPT_ID,
              suiteType: 'REGRESSION',
              total: 500,
              passed: 499,
              failed: 1,
              skipped: 0,
              durationSec: 300,
              executedAt: '2026-02-24T09:30:00Z',
            },
          })
          .expect(202);
        const after = await gates(build).expect(200);
        expect(after.body.passed).toBe(false);
        expect(after.body.reasons).toEqual([
          'REGRESSION pass rate 99.8 % is below 100 %',
        ]);

        await gates('serviceId=authn&clusterId=mira-us-west-2').expect(400);
        await gates(
          'serviceId=authn&clusterId=mira-us-west-2&buildVersion=9.9.9',
        ).expect(404);
      });

      it('GET /scorecard ranks services with their inputs; /scorecard/csv exports it', async () => {
        const { server } = await seeded();
        const res = await request(server)
          .get(`${BASE}/scorecard?from=2026-02-01&to=2026-02-28`)
          .expect(200);
        expect(res.body.window).toEqual({
          from: '2026-02-01T00:00:00.000Z',
          to: '2026-03-01T00:00:00.000Z',
        });
        expect(res.body.services.map((s: any) => s.serviceId)).toEqual([
          'authn',
          'billing',
        ]);
        expect(res.body.services[0]).toMatchObject({
          entityRef: 'component:default/authentication',
          metrics: {
            deploySuccessRate: 1,
            gatePassRate: 95,
            changeFailureRate: 0,
            leadTimeP50Min: 10,
            failedDeploymentRecoveryTimeP50Min: null,
            timeToRestoreP50Min: null,
            deploys: 1,
            finished: 1,
            testRuns: 1,
          },
          grade: expect.any(String),
        });
        expect(res.body.services[1].metrics).toMatchObject({
          deploySuccessRate: 0,
          changeFailureRate: 1,
        });
        expect(res.body.services[0].score).toBeGreaterThan(
          res.body.services[1].score,
        );

        const csv = await request(server)
          .get(`${BASE}/scorecard/csv?from=2026-02-01&to=2026-02-28`)
          .expect(200);
        expect(csv.headers['content-type']).toMatch(/^text\/csv/);
        expect(csv.text.split('\r\n')[1]).toMatch(
          /^authn,component:default\/authentication,/,
        );
        await request(server).get(`${BASE}/scorecard?from=nope`).expect(400);
      });

      it('leaves services the caller may not see out of cluster-wide lists', async () => {
        const { server } = await seeded();
        await request(server)
          .post(`${BASE}/ingest/webhook`)
          .set('X-Webhook-Secret', SECRET)
          .send(deployment({ serviceId: 'vault', runNumber: 3 }))
          .expect(202);
        const vaultAttempt = encodeURIComponent('mira-us-west-2:vault:3.4.3:3');
        const asOutsider = (path: string) =>
          request(server)
            .get(`${BASE}${path}`)
            .set('Authorization', mockCredentials.user.header(OUTSIDER));
        const serviceIdsOf = (body: any, list: string) =>
          body[list].map((s: any) => s.serviceId).sort();

        const everyone = await request(server)
          .get(`${BASE}/clusters/mira-us-west-2/summary`)
          .expect(200);
        expect(serviceIdsOf(everyone.body, 'services')).toEqual([
          'authn',
          'vault',
        ]);
        const outsider = await asOutsider(
          '/clusters/mira-us-west-2/summary',
        ).expect(200);
        expect(serviceIdsOf(outsider.body, 'services')).toEqual(['authn']);

        const services = await asOutsider('/services').expect(200);
        expect(serviceIdsOf(services.body, 'services')).toEqual([
          'authn',
          'billing',
        ]);
        const clusters = await asOutsider('/clusters').expect(200);
        expect(clusters.body.clusters[0].summary.services).toBe(1);
        const attempts = await asOutsider(
          '/clusters/mira-us-west-2/attempts',
        ).expect(200);
        expect(serviceIdsOf(attempts.body, 'attempts')).toEqual(['authn']);
        // Every cluster's attempts: the services listed, and not vault's.
        const fleet = await asOutsider('/attempts?limit=500').expect(200);
        expect([...new Set(serviceIdsOf(fleet.body, 'attempts'))]).toEqual(
          serviceIdsOf(services.body, 'services'),
        );
        const everyones = await request(server)
          .get(`${BASE}/attempts?limit=500`)
          .expect(200);
        expect(serviceIdsOf(everyones.body, 'attempts')).toContain('vault');

        await asOutsider(`/builds/${vaultAttempt}`).expect(404);
        await asOutsider('/services/vault/attempts').expect(404);
        await asOutsider('/analytics?serviceId=vault').expect(404);
        await request(server).get(`${BASE}/builds/${vaultAttempt}`).expect(200);
      });

      it('GET /analytics answers every bucket and the DORA figures; 400 and 404 as documented', async () => {
        const { server } = await seeded();
        const res = await request(server)
          .get(
            `${BASE}/analytics?serviceId=authn&from=2026-02-23&to=2026-02-25`,
          )
          .expect(200);
        expect(res.body.filter).toEqual({
          serviceId: 'authn',
          from: '2026-02-23T00:00:00.000Z',
          to: '2026-02-26T00:00:00.000Z',
          bucket: 'day',
        });
        expect(res.body.buildAttempts).toEqual({
          labels: ['2026-02-23', '2026-02-24', '2026-02-25'],
          success: [0, 1, 0],
          failed: [0, 0, 0],
          rollback: [0, 0, 0],
        });
        expect(res.body.testPassRates.functional).toEqual([null, 95, null]);
        expect(res.body.deployFrequency.deploys).toEqual([0, 1, 0]);
        expect(res.body.deployFrequency.avgLeadTimeMin).toEqual([
          null,
          10,
          null,
        ]);
        expect(res.body.dora).toMatchObject({
          deploymentFrequencyPerDay: 0.3333,
          leadTimeMin: { p50: 10, p90: 10 },
          changeFailureRate: 0,
          timeToRestoreMin: { p50: null },
          samples: {
            changeFailureRate: { failures: 0, finished: 1 },
            failedDeploymentRecoveryTime: { n: 0, unrecovered: 0 },
          },
        });
        expect(res.body.definitions.changeFailureRate).toContain('FAILED');
        // The 2024 clusters unless the query or the config names others.
        expect(res.body.dora.benchmark.year).toBe('2024');
        expect(res.body.dora.deploymentReworkRate).toBe(0);
        const y2023 = await request(server)
          .get(
            `${BASE}/analytics?serviceId=authn&from=2026-02-23&to=2026-02-25&benchmark=2023`,
          )
          .expect(200);
        expect(y2023.body.dora.benchmark.year).toBe('2023');
        expect(
          y2023.body.dora.benchmark.figures.changeFailureRate.limits,
        ).toEqual({ elite: 0.05, high: 0.1, medium: 0.15 });
        expect(y2023.body.buildAttempts).toEqual(res.body.buildAttempts);

        const entity = await request(server)
          .get(
            `${BASE}/entities/default/component/authentication/analytics?from=2026-02-24&to=2026-02-24&bucket=week`,
          )
          .expect(200);
        expect(entity.body.filter.serviceId).toBe('authn');
        expect(entity.body.buildAttempts.labels).toEqual(['2026-02-23']);

        for (const [query, param] of [
          ['bucket=month', 'bucket'],
          ['from=yesterday', 'from'],
          ['from=2026-02-25&to=2026-02-01', 'from'],
          ['from=2024-01-01&to=2026-01-01', 'from'],
          ['clusterId=bad:id', 'clusterId'],
          ['benchmark=2021', 'benchmark'],
        ]) {
          const bad = await request(server)
            .get(`${BASE}/analytics?${query}`)
            .expect(400);
          expect(bad.body.error.message).toContain(param);
        }
        await request(server)
          .get(`${BASE}/analytics?clusterId=nowhere`)
          .expect(404);
        await request(server)
          .get(`${BASE}/analytics?serviceId=nope`)
          .expect(404);
        await request(server)
          .get(`${BASE}/entities/default/component/ghost/analytics`)
          .expect(404);
      });

      it('every read route answers 401 without Backstage credentials', async () => {
        const { server } = await seeded();
        for (const path of [
          '/clusters',
          '/clusters/mira-us-west-2/summary',
          '/clusters/mira-us-west-2/attempts',
          '/services',
          '/services/authn/attempts',
          `/builds/${encodeURIComponent(ATTEMPT_ID)}`,
          '/entities/default/component/authentication/summary',
          '/entities/default/component/authentication/attempts',
        ]) {
          const res = await request(server)
            .get(`${BASE}${path}`)
            .set('Authorization', mockCredentials.none.header());
          expect({ path, status: res.status }).toEqual({ path, status: 401 });
        }
        // A service principal may read.
        await request(server)
          .get(`${BASE}/clusters`)
          .set('Authorization', mockCredentials.service.header())
          .expect(200);
        expect(stringifyEntityRef(entities[0])).toBe(
          'component:default/authentication',
        );
      });
    });
  },
);
