import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  analyticsQuerySchema,
  clusterAttemptsQuerySchema,
  deploymentQualityReadPermission,
  gateCheckQuerySchema,
  promotionsQuerySchema,
  ScorecardPolicy,
  scorecardQuerySchema,
  serviceAttemptsQuerySchema,
  ValidationProblem,
} from '@internal/plugin-deployment-quality-common';
import express, { Request, Response } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { GatePolicy, WebhookKey } from '../config';
import { DeploymentQualityStore } from '../database/DeploymentQualityStore';
import { EventIngestor } from '../ingestion/EventIngestor';
import {
  authenticateWebhook,
  credentialsFromHeaders,
} from '../ingestion/webhookAuth';
import { CatalogLinks } from '../read/catalogLinks';
import { DeploymentQueries } from '../read/DeploymentQueries';
import { scorecardCsv } from './csv';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  ingestor: EventIngestor;
  store: Pick<
    DeploymentQualityStore,
    'listRejected' | 'countRejectedByReason' | 'listPromotions'
  >;
  queries: DeploymentQueries;
  links: CatalogLinks;
  webhook: { maxBodyBytes: number; keys: WebhookKey[] };
  gatePolicy: GatePolicy;
  scorecardPolicy: ScorecardPolicy;
}

/** The last day a window covers (its end is exclusive). */
function lastDayOf(window: { to: string }): string {
  return new Date(Date.parse(window.to) - 1).toISOString().slice(0, 10);
}

const rejectedQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** Backstage's error body, plus the validation problems when there are some. */
function sendError(
  req: Request,
  res: Response,
  statusCode: number,
  name: string,
  message: string,
  problems?: ValidationProblem[],
) {
  res.status(statusCode).json({
    error: { name, message },
    request: { method: req.method, url: req.originalUrl },
    response: { statusCode },
    ...(problems ? { problems } : {}),
  });
}

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
    permissions,
    ingestor,
    store,
    queries,
    links,
    webhook,
    gatePolicy,
    scorecardPolicy,
  } = options;
  const router = Router();

  // The webhook reads the raw body itself: the HMAC is over the exact bytes.
  router.post(
    '/ingest/webhook',
    express.raw({ type: () => true, limit: webhook.maxBodyBytes }),
    async (req, res) => {
      const receivedAt = new Date();
      const raw: Buffer = Buffer.isBuffer(req.body)
        ? req.body
        : Buffer.alloc(0);
      const key = authenticateWebhook(
        credentialsFromHeaders(req.headers),
        raw,
        webhook.keys,
      );
      if (!key) {
        sendError(
          req,
          res,
          401,
          'AuthenticationError',
          'Missing or invalid webhook credentials: send X-Webhook-Secret, Authorization: Bearer, or X-Signature-256',
        );
        return;
      }
      const text = raw.toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (e) {
        const problems = [{ path: '(root)', message: 'not valid JSON' }];
        await ingestor.reject({
          receivedAt: receivedAt.toISOString(),
          reason: 'malformed-json',
          problems,
          source: key.name,
          body: text,
        });
        sendError(
          req,
          res,
          400,
          'InputError',
          `Body is not valid JSON: ${e}`,
          problems,
        );
        return;
      }
      const outcome = await ingestor.handleWebhookBody(
        body,
        receivedAt,
        key.name,
        text,
      );
      if (outcome.kind === 'invalid') {
        sendError(
          req,
          res,
          400,
          'InputError',
          `Invalid event: ${outcome.problems
            .map(p => `${p.path}: ${p.message}`)
            .join('; ')}`,
          outcome.problems,
        );
        return;
      }
      if (outcome.kind === 'batch') {
        res.status(outcome.accepted > 0 ? 202 : 400).json(outcome.result);
        return;
      }
      res.status(202).json(outcome.result);
    },
  );

  // body-parser's errors (413 over the limit, 400 on a bad encoding) as
  // Backstage error bodies; anything else goes to the root error handler.
  router.use(
    '/ingest',
    (
      err: { status?: number; type?: string; message?: string },
      req: Request,
      res: Response,
      next: express.NextFunction,
    ) => {
      if (err.type === 'entity.too.large') {
        sendError(
          req,
          res,
          413,
          'PayloadTooLargeError',
          `Body exceeds ${webhook.maxBodyBytes} bytes`,
        );
      } else if (err.status && err.status >= 400 && err.status < 500) {
        sendError(req, res, err.status, 'InputError', String(err.message));
      } else {
        next(err);
      }
    },
  );

  const credentialsOf = (req: Request) =>
    httpAuth.credentials(req, { allow: ['user', 'service'] });

  /** Cluster-wide views need the plugin's read permission. */
  const readerOf = async (req: Request) => {
    const credentials = await credentialsOf(req);
    const [decision] = await permissions.authorize(
      [{ permission: deploymentQualityReadPermission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `Missing permission ${deploymentQualityReadPermission.name}`,
      );
    }
    return credentials;
  };

  router.get('/clusters', async (req, res) => {
    res.json(await queries.listClusters(await readerOf(req)));
  });

  router.get('/clusters/:clusterId/summary', async (req, res) => {
    const credentials = await readerOf(req);
    res.json(await queries.clusterSummary(req.params.clusterId, credentials));
  });

  router.get('/clusters/:clusterId/attempts', async (req, res) => {
    const credentials = await readerOf(req);
    const query = parseQuery(clusterAttemptsQuerySchema, req.query);
    res.json(
      await queries.listAttempts(
        { ...query, clusterId: req.params.clusterId },
        credentials,
      ),
    );
  });

  router.get('/services', async (req, res) => {
    res.json(await queries.listServices(await readerOf(req)));
  });

  router.get('/services/:serviceId/attempts', async (req, res) => {
    const credentials = await readerOf(req);
    const query = parseQuery(serviceAttemptsQuerySchema, req.query);
    await queries.assertServiceKnown(req.params.serviceId);
    res.json(
      await queries.listAttempts(
        { ...query, serviceId: req.params.serviceId },
        credentials,
      ),
    );
  });

  router.get('/builds/:attemptId', async (req, res) => {
    const credentials = await readerOf(req);
    res.json(await queries.buildDetail(req.params.attemptId, credentials));
  });

  router.get('/gates', async (req, res) => {
    const credentials = await readerOf(req);
    const build = parseQuery(gateCheckQuerySchema, req.query);
    res.json(await queries.gateCheck(build, gatePolicy, credentials));
  });

  router.get('/scorecard', async (req, res) => {
    const credentials = await readerOf(req);
    const query = parseQuery(scorecardQuerySchema, req.query);
    res.json(await queries.scorecard(query, scorecardPolicy, credentials));
  });

  router.get('/scorecard/csv', async (req, res) => {
    const credentials = await readerOf(req);
    const query = parseQuery(scorecardQuerySchema, req.query);
    const scorecard = await queries.scorecard(
      query,
      scorecardPolicy,
      credentials,
    );
    res
      .type('text/csv')
      .attachment(`scorecard-${lastDayOf(scorecard.window)}.csv`)
      .send(scorecardCsv(scorecard));
  });

  router.get('/analytics', async (req, res) => {
    const credentials = await readerOf(req);
    res.json(
      await queries.analytics(parseQuery(analyticsQuerySchema, req.query), {
        credentials,
      }),
    );
  });

  router.get('/entities/:namespace/:kind/:name/analytics', async (req, res) => {
    const query = parseQuery(
      analyticsQuerySchema.omit({ serviceId: true }),
      req.query,
    );
    const { serviceId } = await links.resolveEntity(
      req.params,
      await credentialsOf(req),
    );
    res.json(
      await queries.analytics({ ...query, serviceId }, { fromEntity: true }),
    );
  });

  router.get(
    '/entities/:namespace/:kind/:name/promotions',
    async (req, res) => {
      const query = parseQuery(promotionsQuerySchema, req.query);
      const { serviceId } = await links.resolveEntity(
        req.params,
        await credentialsOf(req),
      );
      res.json(await store.listPromotions({ ...query, serviceId }));
    },
  );

  router.get('/diagnostics/rejected-events', async (req, res) => {
    await readerOf(req);
    const { limit } = parseQuery(rejectedQuerySchema, req.query);
    const [counts, events] = await Promise.all([
      store.countRejectedByReason(),
      store.listRejected({ limit }),
    ]);
    res.json({ counts, events });
  });

  router.get('/entities/:namespace/:kind/:name/summary', async (req, res) => {
    const { entityRef, serviceId } = await links.resolveEntity(
      req.params,
      await credentialsOf(req),
    );
    res.json(await queries.entitySummary(entityRef, serviceId));
  });

  router.get('/entities/:namespace/:kind/:name/attempts', async (req, res) => {
    const query = parseQuery(serviceAttemptsQuerySchema, req.query);
    const { serviceId } = await links.resolveEntity(
      req.params,
      await credentialsOf(req),
    );
    res.json(await queries.listEntityAttempts({ ...query, serviceId }));
  });

  return router;
}
