import {
  AuditorService,
  BackstageCredentials,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  deploymentQualityAdminPermission,
  deploymentQualityQuarantinePermission,
  quarantineRequestSchema,
  QuarantinedTest,
  analyticsQuerySchema,
  rollupQuerySchema,
  attemptsQuerySchema,
  clusterAttemptsQuerySchema,
  clusterSummaryQuerySchema,
  costQuerySchema,
  flakyTestsQuerySchema,
  failureSignaturesQuerySchema,
  gateCheckQuerySchema,
  promotionsQuerySchema,
  ScorecardPolicy,
  scorecardQuerySchema,
  serviceAttemptsQuerySchema,
  servicesQuerySchema,
  testHistoryQuerySchema,
} from '@deployment-quality/plugin-deployment-quality-common';
import { createValidatedOpenApiRouter } from '@backstage/backend-openapi-utils';
import express, { Request } from 'express';
import { createHash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import Router from 'express-promise-router';
import { z } from 'zod';
import { GatePolicy, WebhookKey } from '../config';
import { DeploymentQualityStore } from '../database/DeploymentQualityStore';
import { EventIngestor } from '../ingestion/EventIngestor';
import { KeyRateLimiter } from '../ingestion/KeyRateLimiter';
import { spec } from '../schema/openapi.generated';
import { createIngestRouter } from './ingestRouter';
import { internalErrorHandler } from './errors';
import { VisibilityResolver } from '../visibility/VisibilityResolver';
import { DeploymentQueries, FleetReadOptions } from '../read/DeploymentQueries';
import { StatusReporter } from '../status/StatusReporter';
import { scorecardCsv } from './csv';
import { DeadLetterRedrive } from '../queue/deadLetters';
import { TestCaseStore } from '../database/TestCases';
import { Quarantine } from '../database/Quarantine';
import { resolveWindow } from '../analytics/window';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  /** Where a 5xx's details go, under the id its answer names. */
  logger: LoggerService;
  ingestor: EventIngestor;
  store: Pick<
    DeploymentQualityStore,
    | 'listRejected'
    | 'countRejectedByReason'
    | 'countDroppedRejected'
    | 'listPromotions'
  >;
  queries: DeploymentQueries;
  testCases: Pick<
    TestCaseStore,
    'flaky' | 'history' | 'signatures' | 'occurrences'
  >;
  quarantine: Pick<Quarantine, 'list' | 'add' | 'lift' | 'caseIdsOf'>;
  /** Records who quarantined or lifted what. */
  auditor: AuditorService;
  /** See `deploymentQuality.ingestion.testReports.flakyFlipWindow`. */
  flakyFlipWindow: number;
  access: Pick<
    VisibilityResolver,
    'reader' | 'mayRead' | 'resolveEntity' | 'resolveRollup'
  >;
  webhook: { maxBodyBytes: number; keys: WebhookKey[] };
  /** Per-key rates of the webhook, shared with the sources router. */
  limiter?: KeyRateLimiter;
  gatePolicy: GatePolicy;
  scorecardPolicy: ScorecardPolicy;
  status: Pick<StatusReporter, 'status' | 'ready'>;
  permissions: PermissionsService;
  /** Present in queue mode. */
  deadLetters?: Pick<DeadLetterRedrive, 'redrive'>;
}

/** The last day a window covers (its end is exclusive). */
function lastDayOf(window: { to: string }): string {
  return new Date(Date.parse(window.to) - 1).toISOString().slice(0, 10);
}

/** A test case's id: a positive integer (stored ids are bigints). */
const caseIdSchema = z.object({
  caseId: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

const signatureIdSchema = z.object({
  signatureId: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

const rejectedQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const result = schema.safeParse(query);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InputError(
      `Invalid query parameter '${issue.path.join('.')}': ${issue.message}`,
    );
  }
  return result.data;
}

/** HTTP only: parse, authenticate, call the ingestor or the queries, answer. */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const {
    httpAuth,
    logger,
    ingestor,
    store,
    queries,
    testCases,
    quarantine,
    auditor,
    flakyFlipWindow,
    access,
    webhook,
    limiter,
    gatePolicy,
    scorecardPolicy,
    status,
    permissions,
    deadLetters,
  } = options;
  const router = Router();
  router.use(createIngestRouter({ ingestor, webhook, limiter }));

  // Requests are checked against the spec before a handler runs (a bad
  // parameter is a 400 naming it), and handlers are typed from it. Who may
  // call is httpAuth's job, so a missing token stays a 401, not a 400.
  const api = createValidatedOpenApiRouter<typeof spec>(spec, {
    validatorOptions: { validateSecurity: false },
  });
  router.use(api);

  const credentialsOf = (req: Request<any, any, any, any>) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  /**
   * Cluster-wide views need the plugin's read permission, and see only the
   * services whose entities the caller may read.
   */
  const readerOf = async (req: Request<any, any, any, any>) =>
    access.reader(await credentialsOf(req));

  const entityOf = async (req: Request<any, any, any, any>) =>
    access.resolveEntity(req.params, await credentialsOf(req));

  const mayQuarantine = async (credentials: BackstageCredentials) => {
    const [decision] = await permissions.authorize(
      [{ permission: deploymentQualityQuarantinePermission }],
      { credentials },
    );
    return decision.result === AuthorizeResult.ALLOW;
  };

  /**
   * A quarantine change: the entity's service, checked against the
   * permission, done, and audited (as failed too when refused).
   */
  const changeQuarantine = async (
    req: Request<any, any, any, any>,
    action: 'add' | 'lift',
    change: (serviceId: string, caseId: number, actor: string) => Promise<void>,
  ) => {
    const { caseId } = parseQuery(caseIdSchema, req.params);
    const credentials = await credentialsOf(req);
    const { serviceId } = await access.resolveEntity(req.params, credentials);
    const event = await auditor.createEvent({
      eventId: 'test-quarantine',
      severityLevel: 'medium',
      request: req,
      meta: { action, serviceId, caseId },
    });
    try {
      if (!(await mayQuarantine(credentials))) {
        throw new NotAllowedError(
          `Missing permission ${deploymentQualityQuarantinePermission.name}`,
        );
      }
      const { principal } = credentials as BackstageCredentials<any>;
      const actor: string = principal.userEntityRef ?? principal.subject;
      await change(serviceId, caseId, actor);
      await event.success();
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  };

  // Any signed-in caller: it says whether the plugin works, not what it
  // holds. Error texts name hosts, tables and values: readers only. Any
  // failure to tell (the permission or catalog backend down) hides them.
  api.post('/admin/dead-letters/redrive', async (req, res) => {
    const credentials = await credentialsOf(req);
    const [decision] = await permissions.authorize(
      [{ permission: deploymentQualityAdminPermission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `Missing permission ${deploymentQualityAdminPermission.name}`,
      );
    }
    if (!deadLetters) {
      throw new ConflictError(
        'Not in queue mode: deploymentQuality.ingestion.sqs is not configured',
      );
    }
    res.json(await deadLetters.redrive(req.body?.max ?? 1000));
  });

  // For readiness probes: no login, and nothing but yes or no.
  api.get('/health', async (_req, res) => {
    if (await status.ready()) {
      res.json({ status: 'ok' });
    } else {
      res.status(503).json({ status: 'unavailable', reason: 'database' });
    }
  });

  api.get('/status', async (req, res) => {
    const credentials = await credentialsOf(req);
    const details = await access.mayRead(credentials).catch(() => false);
    res.json(await status.status({ details }));
  });

  api.get('/clusters', async (req, res) => {
    await sendJson(
      res,
      await queries.listClusters(await readerOf(req), freshness(req)),
    );
  });

  api.get('/clusters/:clusterId/summary', async (req, res) => {
    const visibility = await readerOf(req);
    const page = parseQuery(clusterSummaryQuerySchema, req.query);
    await sendJson(
      res,
      await queries.clusterSummary(
        req.params.clusterId,
        visibility,
        page,
        freshness(req),
      ),
    );
  });

  api.get('/clusters/:clusterId/validations', async (req, res) => {
    // They belong to no service: any reader sees them, none hides them.
    await readerOf(req);
    res.json(await queries.clusterValidations(req.params.clusterId));
  });

  api.get('/clusters/:clusterId/cost', async (req, res) => {
    const visibility = await readerOf(req);
    const query = parseQuery(costQuerySchema, req.query);
    res.json(
      await queries.cost(
        { clusterId: req.params.clusterId, visibility },
        query,
      ),
    );
  });

  api.get('/attempts', async (req, res) => {
    const visibility = await readerOf(req);
    const query = parseQuery(attemptsQuerySchema, req.query);
    await sendJson(
      res,
      await queries.listAttempts(query, visibility, freshness(req)),
    );
  });

  api.get('/clusters/:clusterId/attempts', async (req, res) => {
    const visibility = await readerOf(req);
    const query = parseQuery(clusterAttemptsQuerySchema, req.query);
    await sendJson(
      res,
      await queries.listAttempts(
        { ...query, clusterId: req.params.clusterId },
        visibility,
        freshness(req),
      ),
    );
  });

  api.get('/services', async (req, res) => {
    const visibility = await readerOf(req);
    const page = parseQuery(servicesQuerySchema, req.query);
    await sendJson(
      res,
      await queries.listServices(visibility, page, freshness(req)),
    );
  });

  api.get('/services/:serviceId/attempts', async (req, res) => {
    const visibility = await readerOf(req);
    const query = parseQuery(serviceAttemptsQuerySchema, req.query);
    // Side by side: an unknown service answers 404 whatever the page holds.
    const [, page] = await Promise.all([
      queries.assertServiceKnown(req.params.serviceId),
      queries.listAttempts(
        { ...query, serviceId: req.params.serviceId },
        visibility,
      ),
    ]);
    res.json(page);
  });

  api.get('/builds/:attemptId', async (req, res) => {
    const visibility = await readerOf(req);
    res.json(await queries.buildDetail(req.params.attemptId, visibility));
  });

  api.get('/gates', async (req, res) => {
    const visibility = await readerOf(req);
    const build = parseQuery(gateCheckQuerySchema, req.query);
    res.json(await queries.gateCheck(build, gatePolicy, visibility));
  });

  api.get('/scorecard', async (req, res) => {
    const visibility = await readerOf(req);
    const query = parseQuery(scorecardQuerySchema, req.query);
    await sendJson(
      res,
      await queries.scorecard(query, scorecardPolicy, visibility),
    );
  });

  api.get('/scorecard/csv', async (req, res) => {
    const visibility = await readerOf(req);
    const query = parseQuery(scorecardQuerySchema, req.query);
    const scorecard = await queries.scorecard(
      query,
      scorecardPolicy,
      visibility,
    );
    res
      .type('text/csv')
      .attachment(`scorecard-${lastDayOf(scorecard.window)}.csv`)
      .send(scorecardCsv(scorecard));
  });

  api.get('/analytics', async (req, res) => {
    const visibility = await readerOf(req);
    res.json(
      await queries.analytics(parseQuery(analyticsQuerySchema, req.query), {
        visibility,
      }),
    );
  });

  api.get('/entities/:namespace/:kind/:name/analytics', async (req, res) => {
    const query = parseQuery(
      analyticsQuerySchema.omit({ serviceId: true }),
      req.query,
    );
    const { serviceId } = await entityOf(req);
    res.json(
      await queries.analytics({ ...query, serviceId }, { fromEntity: true }),
    );
  });

  api.get(
    '/entities/:namespace/:kind/:name/external-scorecards',
    async (req, res) => {
      const { serviceId } = await entityOf(req);
      res.json(await queries.externalScorecardsOf(serviceId));
    },
  );

  api.get('/entities/:namespace/:kind/:name/cost', async (req, res) => {
    const query = parseQuery(costQuerySchema, req.query);
    const { serviceId } = await entityOf(req);
    res.json(await queries.cost({ serviceId }, query));
  });

  api.get('/tests/signatures', async (req, res) => {
    const { limit, ...query } = parseQuery(
      failureSignaturesQuerySchema,
      req.query,
    );
    const visibility = await readerOf(req);
    res.json(
      await testCases.signatures(
        resolveWindow({ ...query, bucket: 'day' }),
        limit,
        visibility,
      ),
    );
  });

  api.get('/tests/signatures/:signatureId', async (req, res) => {
    const query = parseQuery(flakyTestsQuerySchema, req.query);
    const { signatureId } = parseQuery(signatureIdSchema, req.params);
    const visibility = await readerOf(req);
    res.json(
      await testCases.occurrences(
        signatureId,
        resolveWindow({ ...query, bucket: 'day' }),
        visibility,
      ),
    );
  });

  api.get('/entities/:namespace/:kind/:name/tests/flaky', async (req, res) => {
    const query = parseQuery(flakyTestsQuerySchema, req.query);
    const { serviceId } = await entityOf(req);
    res.json(
      await testCases.flaky(
        serviceId,
        resolveWindow({ ...query, bucket: 'day' }),
        flakyFlipWindow,
        await quarantine.caseIdsOf(serviceId),
      ),
    );
  });

  api.get(
    '/entities/:namespace/:kind/:name/tests/cases/:caseId',
    async (req, res) => {
      const { limit, ...query } = parseQuery(testHistoryQuerySchema, req.query);
      const { caseId } = parseQuery(caseIdSchema, req.params);
      const { serviceId } = await entityOf(req);
      res.json(
        await testCases.history(
          serviceId,
          caseId,
          resolveWindow({ ...query, bucket: 'day' }),
          limit,
          flakyFlipWindow,
        ),
      );
    },
  );

  api.get(
    '/entities/:namespace/:kind/:name/tests/quarantine',
    async (req, res) => {
      const credentials = await credentialsOf(req);
      const { serviceId } = await access.resolveEntity(req.params, credentials);
      const [tests, canManage] = await Promise.all([
        quarantine.list(serviceId),
        mayQuarantine(credentials),
      ]);
      res.json({ serviceId, tests, canManage });
    },
  );

  api.put(
    '/entities/:namespace/:kind/:name/tests/quarantine/:caseId',
    async (req, res) => {
      const body = quarantineRequestSchema.safeParse(req.body);
      if (!body.success) {
        throw new InputError(
          `Invalid body field 'reason': ${body.error.issues[0].message}`,
        );
      }
      let added: QuarantinedTest | undefined;
      await changeQuarantine(req, 'add', async (serviceId, caseId, actor) => {
        added = await quarantine.add(
          serviceId,
          caseId,
          body.data.reason,
          actor,
        );
      });
      res.json(added!);
    },
  );

  api.delete(
    '/entities/:namespace/:kind/:name/tests/quarantine/:caseId',
    async (req, res) => {
      await changeQuarantine(req, 'lift', (serviceId, caseId, actor) =>
        quarantine.lift(serviceId, caseId, actor),
      );
      res.status(204).end();
    },
  );

  api.get('/entities/:namespace/:kind/:name/promotions', async (req, res) => {
    const query = parseQuery(promotionsQuerySchema, req.query);
    const { serviceId } = await entityOf(req);
    res.json(await store.listPromotions({ ...query, serviceId }));
  });

  api.get('/diagnostics/rejected-events', async (req, res) => {
    const visibility = await readerOf(req);
    const { limit } = parseQuery(rejectedQuerySchema, req.query);
    const [counts, events, dropped] = await Promise.all([
      store.countRejectedByReason(visibility),
      store.listRejected({ limit, visibility }),
      store.countDroppedRejected(),
    ]);
    res.json({ counts, events, dropped });
  });

  api.get('/entities/:namespace/:kind/:name/summary', async (req, res) => {
    const { entityRef, serviceId } = await entityOf(req);
    res.json(await queries.entitySummary(entityRef, serviceId));
  });

  api.get('/entities/:namespace/:kind/:name/rollup', async (req, res) => {
    const query = parseQuery(rollupQuerySchema, req.query);
    const { entityRef, members, truncated } = await access.resolveRollup(
      req.params,
      await credentialsOf(req),
    );
    res.json(
      await queries.rollup(
        entityRef,
        members,
        truncated,
        query,
        scorecardPolicy,
      ),
    );
  });

  api.get('/entities/:namespace/:kind/:name/attempts', async (req, res) => {
    const query = parseQuery(serviceAttemptsQuerySchema, req.query);
    const { serviceId } = await entityOf(req);
    res.json(await queries.listEntityAttempts({ ...query, serviceId }));
  });

  router.use(internalErrorHandler(logger));
  return router;
}

/**
 * `Cache-Control: no-cache` on a fleet-wide read: the answer as of the
 * latest write, not one kept a while (see FleetReadOptions).
 */
function freshness(req: {
  headers: { 'cache-control'?: string };
}): FleetReadOptions {
  const directives = (req.headers['cache-control'] ?? '').toLowerCase();
  return { fresh: directives.split(',').some(d => d.trim() === 'no-cache') };
}

/**
 * Fleet-wide answers come from a cache shared by every caller with the same
 * access: each object is serialized once, not once per request (a
 * 5,000-row scorecard is 2 MB; a hundred requests serializing it at once
 * would fill the heap), and so is its ETag, which Express would otherwise
 * hash from the whole body on every request (measured: 17 % of the
 * backend's CPU while serving the scorecard).
 */
const serialized = new WeakMap<object, { bytes: Buffer; etag: string }>();

async function sendJson(res: express.Response, body: object) {
  let answer = serialized.get(body);
  if (!answer) {
    // A turn of the event loop of its own: computing a fleet answer and
    // serialising its megabytes in one go held the loop past 100 ms on a
    // cold start (other requests' I/O waits meanwhile).
    await yieldToLoop();
    answer = serialized.get(body);
  }
  if (!answer) {
    const bytes = Buffer.from(JSON.stringify(body));
    const hash = createHash('sha1').update(bytes).digest('base64url');
    answer = { bytes, etag: `W/"${bytes.length.toString(16)}-${hash}"` };
    serialized.set(body, answer);
  }
  res.type('application/json').set('ETag', answer.etag).send(answer.bytes);
}
