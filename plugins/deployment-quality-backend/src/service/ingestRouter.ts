import { ValidationProblem } from '@deployment-quality/plugin-deployment-quality-common';
import express, { Request, Response } from 'express';
import Router from 'express-promise-router';
import { WebhookKey } from '../config';
import { EventIngestor } from '../ingestion/EventIngestor';
import { KeyRateLimiter } from '../ingestion/KeyRateLimiter';
import { summarizeProblems } from '../ingestion/problems';
import {
  authenticateWebhook,
  credentialsFromHeaders,
} from '../ingestion/webhookAuth';

/**
 * Backstage's error body, plus the validation problems when there are some:
 * the first MAX_LISTED_PROBLEMS, and `problemCount` when there were more
 * (all of `problems`, unless a collector counted more than it kept).
 */
export function sendError(
  req: Request,
  res: Response,
  statusCode: number,
  name: string,
  message: string,
  problems?: ValidationProblem[],
  problemCount?: number,
) {
  res.status(statusCode).json({
    error: { name, message },
    request: { method: req.method, url: req.originalUrl },
    response: { statusCode },
    ...(problems ? summarizeProblems(problems, problemCount) : {}),
  });
}

/**
 * Takes one request from the credential's bucket; when it is empty, answers
 * 429 with `Retry-After` (seconds) and false. Called after authentication
 * (only a configured credential has a bucket) and before anything is parsed
 * or recorded, so a throttled request costs nothing but its HMAC.
 */
export function admitOr429(
  limiter: KeyRateLimiter,
  bucket: string,
  perMinute: number | undefined,
  req: Request,
  res: Response,
): boolean {
  const decision = limiter.take(bucket, perMinute);
  if (decision.allowed) return true;
  res.setHeader('Retry-After', String(decision.retryAfterSeconds));
  sendError(
    req,
    res,
    429,
    'TooManyRequestsError',
    `Over the rate limit of ${perMinute} requests per minute for this credential; retry after ${decision.retryAfterSeconds} s`,
  );
  return false;
}

/** The bucket of a webhook key, shared by the webhook and test reports. */
export const webhookBucket = (key: WebhookKey) => `webhook:${key.name}`;

/**
 * body-parser's errors (413 over the limit, 400 on a bad encoding) as
 * Backstage error bodies; anything else goes to the root error handler.
 */
export function bodyErrorHandler(maxBodyBytes: number) {
  return (
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
        `Body exceeds ${maxBodyBytes} bytes`,
      );
    } else if (err.status && err.status >= 400 && err.status < 500) {
      sendError(req, res, err.status, 'InputError', String(err.message));
    } else {
      next(err);
    }
  };
}

export interface IngestRouterOptions {
  ingestor: EventIngestor;
  webhook: { maxBodyBytes: number; keys: WebhookKey[] };
  /** Per-key rates; shared with the sources router. Default: a fresh one. */
  limiter?: KeyRateLimiter;
}

/**
 * The webhook. It stays outside the OpenAPI-validated router because it
 * reads the raw body itself (the HMAC is over the exact bytes) and answers
 * validation problems per event, which a request validator can't.
 */
export function createIngestRouter(
  options: IngestRouterOptions,
): express.Router {
  const { ingestor, webhook, limiter = new KeyRateLimiter() } = options;
  const router = Router();
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
      if (!admitOr429(limiter, webhookBucket(key), key.perMinute, req, res)) {
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

  router.use('/ingest', bodyErrorHandler(webhook.maxBodyBytes));

  return router;
}
