import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AuthenticationError,
  InputError,
  NotFoundError,
} from '@backstage/errors';
import express, { NextFunction, Request, Response } from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { TestReportsConfig, WebhookKey } from '../config';
import { SourceIngestor } from '../ingestion/SourceIngestor';
import { EventIngestor } from '../ingestion/EventIngestor';
import {
  authenticateWebhook,
  credentialsFromHeaders,
} from '../ingestion/webhookAuth';
import { parseCtrf } from '../reports/ctrf';
import {
  admitOr429,
  bodyErrorHandler,
  sendError,
  webhookBucket,
} from './ingestRouter';
import { KeyRateLimiter } from '../ingestion/KeyRateLimiter';
import { internalErrorHandler } from './errors';
import { parseJunit } from '../reports/junit';
import {
  ParsedReport,
  ReportTarget,
  testResultPayloads,
} from '../reports/suites';
import { suiteTypeSchema, suiteTyper } from '../reports/suiteTypes';
import { storable } from '../reports/suites';
import { ReportedCase, TestCaseStore } from '../database/TestCases';
import { TestResultPayload } from '@deployment-quality/plugin-deployment-quality-common';
import {
  ProblemList,
  ProblemSummary,
  describeProblems,
  summarizeProblems,
} from '../ingestion/problems';

/**
 * A 400 whose answer lists the validation problems, as the webhook's does:
 * the first MAX_LISTED_PROBLEMS, and how many there were when more.
 */
class ProblemsError extends InputError {
  readonly summary: ProblemSummary;

  constructor(message: string, problems: ProblemSummary) {
    const summary = summarizeProblems(problems.problems, problems.problemCount);
    super(`${message}: ${describeProblems(summary)}`);
    this.summary = summary;
  }
}

const reportQuerySchema = z.union([
  z.object({ attemptId: z.string().min(1), reportUrl: z.string().optional() }),
  z.object({
    clusterId: z.string().min(1),
    serviceId: z.string().min(1),
    buildVersion: z.string().min(1),
    reportUrl: z.string().optional(),
  }),
]);

export interface SourcesRouterOptions {
  sources: SourceIngestor;
  ingestor: EventIngestor;
  webhook: {
    maxBodyBytes: number;
    keys: WebhookKey[];
  };
  /** How test-report suites are typed. */
  testReports: TestReportsConfig;
  /** Where the reports' test cases go. */
  testCases: Pick<TestCaseStore, 'write'>;
  /** Where a 5xx's details go, under the id its answer names. */
  logger: LoggerService;
  /** Per-credential rates; the webhook router's, so a key has one budget. */
  limiter?: KeyRateLimiter;
}

/**
 * Native deliveries (`/ingest/sources/:sourceId`) and test reports
 * (`/ingest/test-reports`). Both read the raw body themselves: signatures
 * are over the exact bytes, and reports may be XML.
 */
export function createSourcesRouter(
  options: SourcesRouterOptions,
): express.Router {
  const {
    sources,
    ingestor,
    webhook,
    testReports,
    testCases,
    logger,
    limiter = new KeyRateLimiter(),
  } = options;
  const router = Router();
  const rawBody = express.raw({
    type: () => true,
    limit: webhook.maxBodyBytes,
  });

  router.post(
    '/ingest/sources/:sourceId',
    (req, _res, next) => {
      // Before reading the body: an unknown source is 404 whatever it sent.
      if (!sources.has(req.params.sourceId)) {
        throw new NotFoundError(`No source ${req.params.sourceId}`);
      }
      next();
    },
    rawBody,
    async (req, res) => {
      const { sourceId } = req.params;
      const receivedAt = new Date();
      const raw = bodyOf(req);
      const key = sources.authenticate(sourceId, req.headers, raw);
      const bucket = `source:${sourceId}:${key.name}`;
      if (!admitOr429(limiter, bucket, key.perMinute, req, res)) return;
      const text = raw.toString('utf8');
      const body = await parseJson(text, receivedAt, sourceId, ingestor);
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [
          k,
          Array.isArray(v) ? v[0] : v,
        ]),
      );
      const answer = await sources.ingest(
        sourceId,
        { body, headers, receivedAt },
        key.name,
        text,
      );
      if ('problems' in answer) {
        throw new ProblemsError(`Invalid ${sourceId} delivery`, answer);
      }
      res.status(202).json(answer);
    },
  );

  router.post('/ingest/test-reports', rawBody, async (req, res) => {
    const receivedAt = new Date();
    const raw = bodyOf(req);
    const key = authenticateWebhook(
      credentialsFromHeaders(req.headers),
      raw,
      webhook.keys,
    );
    if (!key) {
      throw new AuthenticationError(
        'Missing or invalid webhook credentials: send X-Webhook-Secret, Authorization: Bearer, or X-Signature-256',
      );
    }
    if (!admitOr429(limiter, webhookBucket(key), key.perMinute, req, res)) {
      return;
    }
    const query = reportQuerySchema.safeParse(req.query);
    if (!query.success) {
      throw new InputError(
        'Name the attempt: attemptId, or clusterId, serviceId and buildVersion',
      );
    }
    const suiteType = suiteTypeSchema.optional().safeParse(req.query.suiteType);
    if (!suiteType.success) {
      throw new InputError(
        `Invalid suiteType: ${suiteType.error.issues[0].message}`,
      );
    }
    const { reportUrl, ...target } = query.data;
    const text = raw.toString('utf8');
    const type = String(req.headers['content-type'] ?? '').split(';')[0];
    let report: ParsedReport;
    if (type === 'application/xml' || type === 'text/xml') {
      report = parseJunit(text);
    } else if (type === 'application/json') {
      report = parseCtrf(await parseJson(text, receivedAt, key.name, ingestor));
    } else {
      throw new InputError(
        'Send JUnit XML (application/xml or text/xml) or CTRF (application/json)',
      );
    }
    if (!report.ok) {
      throw new ProblemsError('Invalid test report', report);
    }
    const source = type === 'application/json' ? 'ctrf' : 'junit';
    const typeOf = suiteTyper(
      testReports.suites,
      suiteType.data ?? testReports.defaultSuiteType,
    );
    const problems = new ProblemList();
    const envelopes = testResultPayloads(
      report.suites,
      target as ReportTarget,
      typeOf,
      reportUrl,
    ).flatMap((payload, i) => {
      const validated = ingestor.validate(
        { source, eventType: 'test-result', payload },
        receivedAt,
      );
      if (validated.ok) {
        return [ingestor.toEnvelope(validated.value, receivedAt, key.name)];
      }
      for (const p of validated.problems) {
        problems.add({ ...p, path: `suites[${i}].${p.path}` });
      }
      return [];
    });
    if (problems.size) {
      throw new ProblemsError('Invalid test report', problems.summary());
    }
    // Before the events: a run is never shown without its cases, and a
    // report retried after a failure here stores them then.
    const casesOf = new Map<string, ReportedCase[]>();
    for (const suite of report.suites) {
      const list = casesOf.get(typeOf(suite.name)) ?? [];
      for (const c of suite.cases ?? []) {
        list.push({ ...c, suite: storable(suite.name) });
      }
      casesOf.set(typeOf(suite.name), list);
    }
    await testCases.write(
      envelopes.map(envelope => {
        const payload = envelope.payload as TestResultPayload;
        return {
          eventId: envelope.eventId,
          executedAt: Date.parse(payload.executedAt ?? envelope.receivedAt),
          cases: casesOf.get(payload.suiteType) ?? [],
        };
      }),
    );
    res.status(202).json({ results: await sources.submit(envelopes) });
  });

  router.use(
    (err: Error, req: Request, res: Response, next: NextFunction) => {
      if (err instanceof ProblemsError) {
        const { problems, problemCount } = err.summary;
        sendError(
          req,
          res,
          400,
          'InputError',
          err.message,
          problems,
          problemCount,
        );
      } else {
        next(err);
      }
    },
    bodyErrorHandler(webhook.maxBodyBytes),
    internalErrorHandler(logger),
  );
  return router;
}

function bodyOf(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

/** JSON, or a recorded refusal and a 400. */
async function parseJson(
  text: string,
  receivedAt: Date,
  source: string,
  ingestor: EventIngestor,
): Promise<unknown> {
  try {
    return JSON.parse(text);
  } catch {
    const problems = [{ path: '(root)', message: 'not valid JSON' }];
    await ingestor.reject({
      receivedAt: receivedAt.toISOString(),
      reason: 'malformed-json',
      problems,
      source,
      body: text,
    });
    throw new ProblemsError('Body is not valid JSON', { problems });
  }
}
