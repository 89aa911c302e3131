import { z } from 'zod';
import {
  BOUNDS,
  MAX_ATTEMPT_MS,
  MAX_COMMIT_AGE_MS,
  TimeBoundsOptions,
  futureTimeProblems,
  notAfterOf,
} from './bounds';

const L = BOUNDS.length;

/** Statuses of a deployment attempt. @public */
export const ATTEMPT_STATUSES = [
  'IN_PROGRESS',
  'SUCCESS',
  'FAILED',
  'ROLLBACK',
  'LIVE',
] as const;
/** @public */
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/** Statuses that end an attempt; a later IN_PROGRESS never replaces them. @public */
export const FINISHED_STATUSES: readonly AttemptStatus[] = [
  'SUCCESS',
  'FAILED',
  'ROLLBACK',
  'LIVE',
];
/** Statuses that count as a deploy (deployment frequency, current version). @public */
export const DEPLOYED_STATUSES: readonly AttemptStatus[] = ['SUCCESS', 'LIVE'];
/** Statuses that count as a change failure. @public */
export const FAILURE_STATUSES: readonly AttemptStatus[] = [
  'FAILED',
  'ROLLBACK',
];

/** @public */
export const TRIGGERS = [
  'merge',
  'promotion',
  'manual',
  'rollback',
  'hotfix',
] as const;
/** @public */
export type Trigger = (typeof TRIGGERS)[number];

/** The suites the views know by name; other upper-case names are kept. @public */
export const KNOWN_SUITES = ['FUNCTIONAL', 'SANITY', 'REGRESSION'] as const;

/** @public */
export const EVENT_TYPES = [
  'deployment',
  'test-result',
  'promotion',
  'cluster-config',
  'cluster-test-result',
  'scorecard',
  'cost',
] as const;
/** @public */
export type EventType = (typeof EVENT_TYPES)[number];

// Ids become parts of an attempt id (`cluster:service:build:n`) and of URLs,
// so they may not contain ':' '/' or whitespace.
const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const versionPattern = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

const identifier = (what: string, max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(
      idPattern,
      `${what} must start with a letter or digit and contain only letters, digits, '.', '_' and '-'`,
    );

const clusterId = (what: string) => identifier(what, L.clusterId);
const serviceId = identifier('serviceId', L.serviceId);

const buildVersion = z
  .string()
  .min(1)
  .max(L.buildVersion)
  .regex(
    versionPattern,
    "buildVersion must contain only letters, digits, '.', '_', '+' and '-'",
  );

/** An ISO-8601 timestamp with a zone (`Z` or an offset). */
const timestamp = z.iso.datetime({ offset: true });

const count = z.number().int().min(0).max(BOUNDS.maxCount);

// NUL can't be stored in PostgreSQL text, and a lone UTF-16 surrogate can't
// round-trip through either database (PostgreSQL replaces it, so two ids
// could collide). Refused at the door, with the field's path.
const loneSurrogate =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Free text the database can store exactly as sent. */
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine(v => !v.includes('\u0000') && !loneSurrogate.test(v), {
      message: 'must not contain NUL or unpaired surrogate characters',
    });

/** @public */
export const deploymentPayloadSchema = z
  .object({
    clusterId: clusterId('clusterId'),
    serviceId,
    buildVersion,
    gitSha: z
      .string()
      .regex(
        new RegExp(`^[0-9a-fA-F]{4,${L.gitSha}}$`),
        `gitSha must be 4 to ${L.gitSha} hex digits`,
      ),
    status: z.enum(ATTEMPT_STATUSES),
    startedAt: timestamp,
    endedAt: timestamp.nullish(),
    trigger: z.enum(TRIGGERS),
    attemptId: text(L.attemptId).min(1).optional(),
    runNumber: z
      .union([
        // int(): a safe integer, so its digits are exact.
        z.number().int().min(0),
        z
          .string()
          .regex(
            new RegExp(`^[0-9]{1,${L.runNumber}}$`),
            `runNumber must be 1 to ${L.runNumber} digits`,
          ),
      ])
      .optional(),
    commitAt: timestamp.optional(),
    failureReason: text(L.failureReason).optional(),
    rollbackToBuild: buildVersion.optional(),
  })
  .superRefine((p, ctx) => {
    const finished = (FINISHED_STATUSES as readonly string[]).includes(
      p.status,
    );
    if (finished && !p.endedAt) {
      ctx.addIssue({
        code: 'custom',
        path: ['endedAt'],
        message: `endedAt is required when status is ${p.status}`,
      });
    }
    if (!finished && p.endedAt) {
      ctx.addIssue({
        code: 'custom',
        path: ['endedAt'],
        message: 'endedAt must be absent while status is IN_PROGRESS',
      });
    }
    if (p.commitAt && Date.parse(p.commitAt) > Date.parse(p.startedAt)) {
      ctx.addIssue({
        code: 'custom',
        path: ['commitAt'],
        message: 'commitAt must not be after startedAt',
      });
    }
    if (p.endedAt && Date.parse(p.endedAt) < Date.parse(p.startedAt)) {
      ctx.addIssue({
        code: 'custom',
        path: ['endedAt'],
        message: 'endedAt must not be before startedAt',
      });
    }
    // Bounded so a day's lead-time sum can't overflow (see BOUNDS).
    if (
      p.endedAt &&
      Date.parse(p.endedAt) - Date.parse(p.startedAt) > MAX_ATTEMPT_MS
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['endedAt'],
        message: `endedAt must be at most ${BOUNDS.maxAttemptDays} days after startedAt`,
      });
    }
    if (
      p.commitAt &&
      Date.parse(p.startedAt) - Date.parse(p.commitAt) > MAX_COMMIT_AGE_MS
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['commitAt'],
        message: `commitAt must be at most ${BOUNDS.maxCommitAgeDays} days before startedAt`,
      });
    }
  });
/** @public */
export type DeploymentPayload = z.infer<typeof deploymentPayloadSchema>;

const httpUrl = z.url({ protocol: /^https?$/ }).max(L.reportUrl);

/**
 * The counts of one suite run, a service's or a whole cluster-region's.
 * `executedAt` is optional so a CI can report as soon as its tests end: the
 * receiver fills in the time it received the event (withReceiptDefaults).
 */
const suiteRunFields = {
  total: count,
  passed: count,
  failed: count,
  skipped: count,
  durationSec: z.number().min(0).max(BOUNDS.maxDurationSec),
  executedAt: timestamp.optional(),
  reportUrl: httpUrl.optional(),
};

function countsWithinTotal(
  p: { total: number; passed: number; failed: number; skipped: number },
  ctx: z.RefinementCtx,
) {
  if (p.passed + p.failed + p.skipped > p.total) {
    ctx.addIssue({
      code: 'custom',
      path: ['total'],
      message: 'passed + failed + skipped must not exceed total',
    });
  }
}

/** @public */
export const testResultPayloadSchema = z
  .object({
    attemptId: text(L.attemptId).min(1).optional(),
    clusterId: clusterId('clusterId').optional(),
    serviceId: serviceId.optional(),
    buildVersion: buildVersion.optional(),
    suiteType: z
      .string()
      .regex(
        new RegExp(`^[A-Z][A-Z0-9_]{0,${L.suiteType - 1}}$`),
        'suiteType must be an upper-case name such as FUNCTIONAL, SANITY or REGRESSION',
      ),
    ...suiteRunFields,
  })
  .superRefine((p, ctx) => {
    if (!p.attemptId && !(p.clusterId && p.serviceId && p.buildVersion)) {
      ctx.addIssue({
        code: 'custom',
        path: ['attemptId'],
        message:
          'either attemptId or all of clusterId, serviceId and buildVersion are required',
      });
    }
    countsWithinTotal(p, ctx);
  });
/** A test result as sent: `executedAt` may be left out. @public */
export type TestResultPayload = z.infer<typeof testResultPayloadSchema>;
/** A test result as received: `executedAt` is always set. @public */
export type ReceivedTestResultPayload = TestResultPayload & {
  executedAt: string;
};

/** @public */
export const promotionPayloadSchema = z.object({
  promotionId: text(L.promotionId).min(1).optional(),
  serviceId,
  buildVersion,
  fromClusterId: clusterId('fromClusterId'),
  toClusterId: clusterId('toClusterId'),
  promotedBy: text(L.promotedBy).min(1),
  promotedAt: timestamp,
});
/** @public */
export type PromotionPayload = z.infer<typeof promotionPayloadSchema>;

/** @public */
export const clusterConfigPayloadSchema = z.object({
  id: clusterId('id'),
  name: text(L.clusterName).min(1),
  type: text(L.clusterType).min(1),
  role: text(L.clusterRole).min(1),
  description: text(L.clusterDescription).default(''),
  region: text(L.region).min(1).optional(),
});
/** @public */
export type ClusterConfigPayload = z.infer<typeof clusterConfigPayloadSchema>;

/**
 * A suite run against a whole cluster-region rather than one service's
 * build: a nightly conformance or smoke job from a cron.
 * @public
 */
export const clusterTestResultPayloadSchema = z
  .object({
    clusterId: clusterId('clusterId'),
    suite: z
      .string()
      .min(1)
      .max(L.validationSuite)
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9 ._:-]*$/,
        "suite must start with a letter or digit and contain only letters, digits, spaces, '.', '_', ':' and '-'",
      ),
    ...suiteRunFields,
    labels: z
      .record(
        z
          .string()
          .min(1)
          .max(L.labelKey)
          .regex(
            /^[A-Za-z0-9][A-Za-z0-9._/-]*$/,
            "label names must start with a letter or digit and contain only letters, digits, '.', '_', '/' and '-'",
          ),
        text(L.labelValue),
      )
      .refine(l => Object.keys(l).length <= BOUNDS.maxLabels, {
        message: `at most ${BOUNDS.maxLabels} labels`,
      })
      .optional(),
  })
  .superRefine(countsWithinTotal);
/** @public */
export type ClusterTestResultPayload = z.infer<
  typeof clusterTestResultPayloadSchema
>;

/**
 * A scorecard another tool computed for a service (Soundcheck, Tech
 * Insights, a security scanner): shown beside our own score, never mixed in.
 * @public
 */
export const scorecardPayloadSchema = z
  .object({
    serviceId,
    name: z
      .string()
      .min(1)
      .max(L.scorecardName)
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9 ._:/-]*$/,
        "name must start with a letter or digit and contain only letters, digits, spaces, '.', '_', ':', '/' and '-'",
      ),
    score: z.number().min(0).max(BOUNDS.maxScore),
    maxScore: z.number().gt(0).max(BOUNDS.maxScore),
    /** Left out: the time of receipt. */
    measuredAt: timestamp.optional(),
    url: httpUrl.optional(),
    checks: z
      .array(
        z.object({
          name: text(L.checkName).min(1),
          passed: z.boolean(),
          url: httpUrl.optional(),
        }),
      )
      .max(BOUNDS.maxChecks)
      .optional(),
  })
  .superRefine((p, ctx) => {
    if (p.score > p.maxScore) {
      ctx.addIssue({
        code: 'custom',
        path: ['score'],
        message: 'score must not exceed maxScore',
      });
    }
  });
/** @public */
export type ScorecardPayload = z.infer<typeof scorecardPayloadSchema>;

/**
 * What one service cost on one cluster-region on one day (UTC), from a
 * billing export or a FinOps job. A source's later figure for the same
 * service, cluster-region, day and currency replaces its earlier one
 * (billing data is restated for days); figures of different sources add up.
 * @public
 */
export const costPayloadSchema = z.object({
  serviceId,
  clusterId: clusterId('clusterId'),
  /** The UTC day the cost was incurred, `YYYY-MM-DD`. */
  date: z.iso.date(),
  /** In the currency's unit (dollars, not cents); negative for credits. */
  amount: z.number().min(-BOUNDS.maxCostAmount).max(BOUNDS.maxCostAmount),
  currency: z
    .string()
    .regex(
      /^[A-Z]{3}$/,
      'currency must be an ISO 4217 code: three capital letters',
    ),
  /** The biller's figure may still change (AWS: `Estimated`). */
  estimated: z.boolean().optional(),
});
/** @public */
export type CostPayload = z.infer<typeof costPayloadSchema>;

const eventHeader = {
  source: text(L.source).min(1),
  eventId: text(L.eventId).min(1).optional(),
};

/**
 * The body of `POST /ingest/webhook` (one event).
 * @public
 */
export const webhookEventSchema = z.discriminatedUnion('eventType', [
  z.object({
    ...eventHeader,
    eventType: z.literal('deployment'),
    payload: deploymentPayloadSchema,
  }),
  z.object({
    ...eventHeader,
    eventType: z.literal('test-result'),
    payload: testResultPayloadSchema,
  }),
  z.object({
    ...eventHeader,
    eventType: z.literal('promotion'),
    payload: promotionPayloadSchema,
  }),
  z.object({
    ...eventHeader,
    eventType: z.literal('cluster-config'),
    payload: clusterConfigPayloadSchema,
  }),
  z.object({
    ...eventHeader,
    eventType: z.literal('cluster-test-result'),
    payload: clusterTestResultPayloadSchema,
  }),
  z.object({
    ...eventHeader,
    eventType: z.literal('scorecard'),
    payload: scorecardPayloadSchema,
  }),
  z.object({
    ...eventHeader,
    eventType: z.literal('cost'),
    payload: costPayloadSchema,
  }),
]);
/** @public */
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

/** Most events one batch webhook request may carry. @public */
export const MAX_BATCH_EVENTS = 500;

/**
 * The batch body of `POST /ingest/webhook`: `{ events: [...] }`. Each event is
 * validated on its own so one bad event doesn't reject the others.
 * @public
 */
export const webhookBatchSchema = z.object({
  events: z.array(z.unknown()).min(1).max(MAX_BATCH_EVENTS),
});

/**
 * An event as received: what the sender may leave out is filled in (a test
 * result's `executedAt`).
 * @public
 */
export type ReceivedEvent =
  | Exclude<
      WebhookEvent,
      { eventType: 'test-result' | 'cluster-test-result' | 'scorecard' }
    >
  | (Omit<Extract<WebhookEvent, { eventType: 'test-result' }>, 'payload'> & {
      payload: ReceivedTestResultPayload;
    })
  | (Omit<
      Extract<WebhookEvent, { eventType: 'cluster-test-result' }>,
      'payload'
    > & {
      payload: ClusterTestResultPayload & { executedAt: string };
    })
  | (Omit<Extract<WebhookEvent, { eventType: 'scorecard' }>, 'payload'> & {
      payload: ScorecardPayload & { measuredAt: string };
    });

/**
 * The event with the defaults the contract gives in terms of its receipt: a
 * test result without `executedAt` ran when it was received. Apply it after
 * the event id is derived from the event as sent, or a retried body would
 * get a new id each time it arrives.
 * @public
 */
export function withReceiptDefaults(
  event: WebhookEvent,
  receivedAt: string,
): ReceivedEvent {
  if (event.eventType === 'test-result') {
    const { executedAt = receivedAt } = event.payload;
    return { ...event, payload: { ...event.payload, executedAt } };
  }
  if (event.eventType === 'cluster-test-result') {
    const { executedAt = receivedAt } = event.payload;
    return { ...event, payload: { ...event.payload, executedAt } };
  }
  if (event.eventType === 'scorecard') {
    const { measuredAt = receivedAt } = event.payload;
    return { ...event, payload: { ...event.payload, measuredAt } };
  }
  return event;
}

/**
 * The internal envelope: what the webhook publishes to SQS, what CI may send
 * straight to the queue, and what the store ingests.
 * @public
 */
export type EventEnvelope = ReceivedEvent & {
  eventId: string;
  receivedAt: string;
  /** The name of the webhook key that authenticated it, when it came that way. */
  sourceKey?: string;
};

/**
 * A message on the ingest queue: the envelope the webhook publishes, or one a
 * CI system sent straight to SQS. `eventId` and `receivedAt` may be left out
 * by such senders: the consumer then derives the id from the content and
 * takes the time SQS received the message.
 * @public
 */
export const queueMessageSchema = z
  .object({
    receivedAt: timestamp.optional(),
    sourceKey: text(L.sourceKey).min(1).optional(),
  })
  .and(webhookEventSchema);
/** @public */
export type QueueMessage = WebhookEvent & {
  receivedAt?: string;
  sourceKey?: string;
};

/** One validation problem: where (a JSON path) and why. @public */
export type ValidationProblem = { path: string; message: string };

/** @public */
export type ValidationResult<T> =
  | { ok: true; value: T }
  | { ok: false; problems: ValidationProblem[] };

function toProblems(error: z.ZodError): ValidationProblem[] {
  return error.issues.map(issue => ({
    path: issue.path.length
      ? issue.path
          .map(p => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
          .join('')
          .replace(/^\./, '')
      : '(root)',
    message: issue.message,
  }));
}

function validateWith<T>(
  schema: z.ZodType<T>,
  input: unknown,
  extra: ValidationProblem[] = [],
): ValidationResult<T> {
  const result = schema.safeParse(input);
  const problems = result.success ? [] : toProblems(result.error);
  // A path the schema already refused is reported once, by the schema.
  const seen = new Set(problems.map(p => p.path));
  problems.push(...extra.filter(p => !seen.has(p.path)));
  return result.success && problems.length === 0
    ? { ok: true, value: result.data }
    : { ok: false, problems };
}

/**
 * Validates one webhook event, listing every problem: the schema's, and
 * times later than `options.notAfter` (the time of receipt plus the allowed
 * clock skew), which no schema can know.
 * @public
 */
export function validateWebhookEvent(
  input: unknown,
  options: TimeBoundsOptions = {},
): ValidationResult<WebhookEvent> {
  return validateWith(
    webhookEventSchema,
    input,
    futureTimeProblems(input, notAfterOf(options)),
  );
}

/** Validates the batch form's outer shape (each event is validated on its own). @public */
export function validateWebhookBatch(
  input: unknown,
): ValidationResult<{ events: unknown[] }> {
  return validateWith(webhookBatchSchema, input);
}

/**
 * Validates a message from the ingest queue, listing every problem, its
 * `receivedAt` and times past `options.notAfter` included.
 * @public
 */
export function validateQueueMessage(
  input: unknown,
  options: TimeBoundsOptions = {},
): ValidationResult<QueueMessage> {
  return validateWith(
    queueMessageSchema,
    input,
    futureTimeProblems(input, notAfterOf(options), { envelope: true }),
  ) as ValidationResult<QueueMessage>;
}

/** @public */
export function isFinishedStatus(status: AttemptStatus): boolean {
  return FINISHED_STATUSES.includes(status);
}

/**
 * The attempt a deployment event belongs to: its `attemptId` when given, else
 * `{clusterId}:{serviceId}:{buildVersion}:{runNumber}`, else the same with the
 * `startedAt` epoch seconds as the run number, so the IN_PROGRESS and the final
 * event of one attempt land on one row. The one derivation both the store
 * and the webhook's answer use, so the id a CI is told is the stored one.
 * @public
 */
export function deriveAttemptId(p: DeploymentPayload): string {
  if (p.attemptId) return p.attemptId;
  const n =
    p.runNumber !== undefined
      ? String(p.runNumber)
      : String(Math.floor(Date.parse(p.startedAt) / 1000));
  return `${p.clusterId}:${p.serviceId}:${p.buildVersion}:${n}`;
}
