/**
 * Every bound on what an event may carry, declared once. The zod schemas in
 * events.ts are built from these numbers, the OpenAPI spec states the same
 * ones (a backend test compares them), and both databases then receive only
 * what both store the same way: SQLite doesn't enforce column sizes or
 * integer widths, PostgreSQL does, so a bound the columns don't guarantee
 * would make the databases disagree.
 *
 * Lengths are counted in characters (code points), as zod and PostgreSQL's
 * varchar both count them: a value within its bound fits its column, an
 * emoji counting one.
 *
 * @public
 */
export const BOUNDS = {
  /** Longest value of each text field. */
  length: {
    // A derived attempt id `{clusterId}:{serviceId}:{buildVersion}:{n}`
    // (n: up to 18 digits, or startedAt's epoch seconds, at most 12
    // characters) is at most 64 + 128 + 128 + 18 + 3 = 341; a derived
    // promotion id `{serviceId}:{buildVersion}:{from}:{to}:{seconds}` at
    // most 128 + 128 + 64 + 64 + 12 + 4 = 400: both fit their 400-character
    // columns. Cluster ids pay for it: 64 still holds a DNS label (63),
    // what most cluster names are.
    clusterId: 64,
    serviceId: 128,
    buildVersion: 128,
    gitSha: 64,
    /** Digits of a `runNumber` given as a string (as a number: a safe integer). */
    runNumber: 18,
    attemptId: 400,
    promotionId: 400,
    eventId: 200,
    source: 100,
    sourceKey: 100,
    suiteType: 64,
    promotedBy: 200,
    clusterName: 200,
    clusterType: 100,
    clusterRole: 100,
    clusterDescription: 2000,
    region: 100,
    failureReason: 4000,
    reportUrl: 2000,
    /** A cluster validation's suite name, e.g. `conformance` or `smoke`. */
    validationSuite: 100,
    labelKey: 63,
    labelValue: 256,
    /** An external scorecard's name, e.g. `soundcheck: production readiness`. */
    scorecardName: 100,
    checkName: 200,
  },
  /** Most checks one external scorecard may carry. */
  maxChecks: 100,
  /** Highest score (and maximum) an external scorecard may state. */
  maxScore: 1_000_000,
  /**
   * Largest cost of one service on one cluster-region in one day, either
   * sign (credits and refunds are negative). Stored in millionths of the
   * currency unit, it is a safe integer, and a year of a 5,000-service
   * fleet's days sums far below 64 bits.
   */
  maxCostAmount: 1_000_000_000,
  /** Most labels one cluster validation run may carry. */
  maxLabels: 20,
  /**
   * Most tests one run may count (`total`, and so each of `passed`, `failed`
   * and `skipped`): fits PostgreSQL's 32-bit integer columns, and a day's
   * rollup sums (64-bit) can't overflow below 9·10⁹ runs of one service on
   * one cluster in one day.
   */
  maxCount: 1_000_000_000,
  /** Longest test run, in seconds (`durationSec`): 30 days. */
  maxDurationSec: 2_592_000,
  /**
   * Longest attempt (`endedAt − startedAt`) and oldest commit
   * (`startedAt − commitAt`), in days. A lead time is then under 4,026 days
   * (3.5·10¹¹ ms), so a day's lead-time sum (64-bit) can't overflow below
   * 2.6·10⁷ deploys of one service on one cluster in one day.
   */
  maxAttemptDays: 366,
  maxCommitAgeDays: 3660,
  /**
   * How far past the time of receipt an event's times may be, by default
   * (`deploymentQuality.ingestion.maxFutureSkewSeconds`): clocks drift, but
   * an event from the future would be the "latest" of everything forever.
   * The other end is the retention window: older events are answered
   * `expired` and not stored.
   */
  defaultFutureSkewSeconds: 900,
} as const;

const DAY_MS = 86_400_000;

/** Longest attempt, in milliseconds. @public */
export const MAX_ATTEMPT_MS = BOUNDS.maxAttemptDays * DAY_MS;
/** Oldest commit before an attempt's start, in milliseconds. @public */
export const MAX_COMMIT_AGE_MS = BOUNDS.maxCommitAgeDays * DAY_MS;

/**
 * Where each event type keeps its times: the paths the future bound checks.
 * A test result's `executedAt` left out takes the time of receipt, within
 * the bound by definition.
 */
const TIME_FIELDS: Record<string, readonly string[]> = {
  deployment: ['startedAt', 'endedAt', 'commitAt'],
  'test-result': ['executedAt'],
  'cluster-test-result': ['executedAt'],
  scorecard: ['measuredAt'],
  cost: ['date'],
  promotion: ['promotedAt'],
};

/** Options of the validators: the latest instant an event may name. @public */
export interface TimeBoundsOptions {
  /**
   * Epoch ms; later times are refused. Default: now plus
   * `BOUNDS.defaultFutureSkewSeconds`.
   */
  notAfter?: number;
}

/** The latest instant the options allow. @public */
export function notAfterOf(options: TimeBoundsOptions = {}): number {
  return (
    options.notAfter ?? Date.now() + BOUNDS.defaultFutureSkewSeconds * 1000
  );
}

/** A problem's message for a time past the bound. */
const tooLate = (notAfter: number) =>
  `must not be later than ${new Date(
    notAfter,
  ).toISOString()} (the time of receipt plus the allowed clock skew)`;

/**
 * The times of a (possibly invalid) event that lie past `notAfter`, with
 * their paths. Read from the input as sent, so the answer lists them beside
 * the schema's problems; `envelope` also checks a queue message's
 * `receivedAt`.
 * @public
 */
export function futureTimeProblems(
  input: unknown,
  notAfter: number,
  options: { envelope?: boolean } = {},
): Array<{ path: string; message: string }> {
  if (!input || typeof input !== 'object') return [];
  const event = input as Record<string, unknown>;
  const problems: Array<{ path: string; message: string }> = [];
  const check = (value: unknown, path: string) => {
    if (typeof value !== 'string') return;
    const ms = Date.parse(value);
    if (Number.isFinite(ms) && ms > notAfter) {
      problems.push({ path, message: tooLate(notAfter) });
    }
  };
  if (options.envelope) check(event.receivedAt, 'receivedAt');
  const { eventType, payload } = event;
  const fields =
    typeof eventType === 'string' && Object.hasOwn(TIME_FIELDS, eventType)
      ? TIME_FIELDS[eventType]
      : [];
  if (payload && typeof payload === 'object') {
    for (const field of fields) {
      check((payload as Record<string, unknown>)[field], `payload.${field}`);
    }
  }
  return problems;
}
