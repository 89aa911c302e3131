import { z } from 'zod';
import { BOUNDS } from './bounds';

/** Longest window the analytics answer, in days. @public */
export const MAX_ANALYTICS_DAYS = 366;
/** Window when `from` is not given, in days before `to`. @public */
export const DEFAULT_ANALYTICS_DAYS = 30;

const idParam = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a cluster or service id');

/** `YYYY-MM-DD` (a UTC day) or a full ISO-8601 timestamp. */
const instant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

/** Query of `GET /analytics`; the entity route takes the same minus `serviceId`. @public */
export const analyticsQuerySchema = z.object({
  serviceId: idParam(BOUNDS.length.serviceId).optional(),
  clusterId: idParam(BOUNDS.length.clusterId).optional(),
  from: instant.optional(),
  to: instant.optional(),
  bucket: z.enum(['day', 'week']).default('day'),
});
/** @public */
export type AnalyticsQuery = z.input<typeof analyticsQuerySchema>;

/** DORA performance tiers, best first. @public */
export const DORA_TIERS = ['elite', 'high', 'medium', 'low'] as const;
/** @public */
export type DoraTier = (typeof DORA_TIERS)[number];

/**
 * The definitions behind every figure of the analytics answer. The UI shows
 * them as tooltips; the README and the API docs quote them.
 * @public
 */
export const ANALYTICS_DEFINITIONS = {
  buckets:
    'UTC calendar days (or ISO weeks from Monday) covering [from, to); every bucket is present, empty ones with zeros or null rates.',
  buildAttempts:
    'Attempts counted in the bucket of their startedAt: success = SUCCESS + LIVE, failed = FAILED, rollback = ROLLBACK.',
  testPassRates:
    'Per suite: Σpassed / Σtotal × 100 over the test runs executed (executedAt) in the bucket; null when none ran.',
  deploys: 'Attempts that ended (endedAt) in the bucket as SUCCESS or LIVE.',
  leadTime:
    'endedAt − commitAt of a deploy when the event gave commitAt, else endedAt − startedAt; avgLeadTimeMin is the mean over the bucket’s deploys.',
  deploymentFrequency:
    'Deploys in the window divided by the number of days in it.',
  leadTimeForChanges:
    'p50 and p90 (linear interpolation) of the lead time of the deploys in the window, in minutes.',
  changeFailureRate:
    '(FAILED + ROLLBACK) / all finished attempts that ended in the window, as a ratio from 0 to 1; null with no finished attempt.',
  failedDeploymentRecoveryTime:
    'DORA’s "failed deployment recovery time" (formerly time to restore): for each run of consecutive failed attempts (FAILED/ROLLBACK) of a service on a cluster whose first failure ended in the window, the time from that failure’s endedAt to the endedAt of the next SUCCESS/LIVE attempt there; p50 in minutes. Runs not yet recovered are counted as unrecovered, not timed.',
  tier: 'Each figure’s DORA tier (2023 thresholds): deployment frequency elite ≥ 1/day, high ≥ 1/week, medium ≥ 1/month; lead time elite < 1 day, high < 1 week, medium < 1 month; change failure rate elite ≤ 5 %, high ≤ 10 %, medium ≤ 15 %; recovery time elite < 1 hour, high < 1 day, medium < 1 week; else low. The overall tier is the worst tier among the figures that have samples.',
} as const;

/** @public */
export type DoraFigures = {
  deploymentFrequencyPerDay: number;
  leadTimeMin: { p50: number | null; p90: number | null };
  /** Ratio from 0 to 1; null without finished attempts. */
  changeFailureRate: number | null;
  /** Failed deployment recovery time (DORA's current name for time to restore). */
  timeToRestoreMin: { p50: number | null };
  /** Worst tier among the figures that have samples; null with no data. */
  tier: DoraTier | null;
  tiers: {
    deploymentFrequency: DoraTier | null;
    leadTime: DoraTier | null;
    changeFailureRate: DoraTier | null;
    failedDeploymentRecoveryTime: DoraTier | null;
  };
  /** What each figure was computed from. */
  samples: {
    deploymentFrequency: { deploys: number; days: number };
    leadTime: { n: number };
    changeFailureRate: { failures: number; finished: number };
    failedDeploymentRecoveryTime: { n: number; unrecovered: number };
  };
};

/** The answer of `GET /analytics` and the entity analytics route. @public */
export type AnalyticsResponse = {
  filter: {
    serviceId?: string;
    clusterId?: string;
    from: string;
    to: string;
    bucket: 'day' | 'week';
  };
  buildAttempts: {
    labels: string[];
    success: number[];
    failed: number[];
    rollback: number[];
  };
  /**
   * Pass rate per suite per bucket, keyed by lower-case suite name:
   * `functional`, `sanity` and `regression` always, other suites when run.
   */
  testPassRates: {
    labels: string[];
    functional: (number | null)[];
    sanity: (number | null)[];
    regression: (number | null)[];
    [suite: string]: (string | number | null)[];
  };
  deployFrequency: {
    labels: string[];
    deploys: number[];
    avgLeadTimeMin: (number | null)[];
  };
  dora: DoraFigures;
  definitions: Record<keyof typeof ANALYTICS_DEFINITIONS, string>;
};

const MIN = 1;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The DORA tier of each figure; null when it has no samples. @public */
export function doraTiers(f: {
  deploymentFrequencyPerDay: number | null;
  leadTimeP50Min: number | null;
  changeFailureRate: number | null;
  recoveryP50Min: number | null;
}): DoraFigures['tiers'] {
  const pick = (
    v: number | null,
    limits: number[],
    better: 'lower' | 'higher',
  ) => {
    if (v === null) return null;
    const i = limits.findIndex(l => (better === 'lower' ? v < l : v >= l));
    return i === -1 ? 'low' : DORA_TIERS[i];
  };
  return {
    deploymentFrequency: pick(
      f.deploymentFrequencyPerDay,
      [1, 1 / 7, 1 / 30],
      'higher',
    ),
    leadTime: pick(f.leadTimeP50Min, [DAY, 7 * DAY, 30 * DAY], 'lower'),
    changeFailureRate:
      f.changeFailureRate === null
        ? null
        : pick(-f.changeFailureRate, [-0.05, -0.1, -0.15], 'higher'),
    failedDeploymentRecoveryTime: pick(
      f.recoveryP50Min,
      [HOUR, DAY, 7 * DAY],
      'lower',
    ),
  };
}

/** The worst of the tiers that are known. @public */
export function overallTier(tiers: DoraFigures['tiers']): DoraTier | null {
  const known = Object.values(tiers).filter((t): t is DoraTier => t !== null);
  if (known.length === 0) return null;
  return known.reduce((worst, t) =>
    DORA_TIERS.indexOf(t) > DORA_TIERS.indexOf(worst) ? t : worst,
  );
}
