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
  /** The DORA report whose clusters rate the figures; default from config. */
  benchmark: z.enum(['2023', '2024']).optional(),
});

/** Query of the Group, System and Domain roll-up route. @public */
export const rollupQuerySchema = analyticsQuerySchema.pick({
  from: true,
  to: true,
  benchmark: true,
});
/** @public */
export type RollupQuery = z.input<typeof rollupQuerySchema>;
/** @public */
export type AnalyticsQuery = z.input<typeof analyticsQuerySchema>;

/** DORA performance tiers, best first. @public */
export const DORA_TIERS = ['elite', 'high', 'medium', 'low'] as const;
/** @public */
export type DoraTier = (typeof DORA_TIERS)[number];

/** The years of the DORA reports whose clusters the tiers can be read against. @public */
export const DORA_BENCHMARK_YEARS = ['2023', '2024'] as const;
/** @public */
export type DoraBenchmarkYear = (typeof DORA_BENCHMARK_YEARS)[number];
/** The benchmark when neither the query nor the config names one. @public */
export const DEFAULT_DORA_BENCHMARK: DoraBenchmarkYear = '2024';

/** The figures DORA rates with tiers; rework rate has none published. @public */
export type TieredFigure =
  | 'deploymentFrequency'
  | 'leadTime'
  | 'changeFailureRate'
  | 'failedDeploymentRecoveryTime';

/**
 * One figure's thresholds in a benchmark. A figure is rated the best tier
 * (elite, then high, then medium) whose limit it meets — `atLeast`: value ≥
 * limit; `below`: value < limit; `atMost`: value ≤ limit — else low. The
 * labels are the report's own words for each cluster.
 * @public
 */
export type DoraThresholds = {
  unit: 'deploys per day' | 'minutes' | 'ratio';
  meets: 'atLeast' | 'below' | 'atMost';
  limits: { elite: number; high: number; medium: number };
  labels: Record<DoraTier, string>;
};

/** A benchmark year's thresholds, served with every DORA answer. @public */
export type DoraBenchmark = {
  year: DoraBenchmarkYear;
  source: string;
  figures: Record<TieredFigure, DoraThresholds>;
};

const HOUR_MIN = 60;
const DAY_MIN = 24 * HOUR_MIN;

const DEPLOYMENT_FREQUENCY: DoraThresholds = {
  unit: 'deploys per day',
  meets: 'atLeast',
  limits: { elite: 1, high: 1 / 7, medium: 1 / 30 },
  labels: {
    elite: 'On demand (multiple deploys per day)',
    high: 'Between once per day and once per week',
    medium: 'Between once per week and once per month',
    low: 'Less than once per month',
  },
};
const LEAD_TIME: DoraThresholds = {
  unit: 'minutes',
  meets: 'below',
  limits: { elite: DAY_MIN, high: 7 * DAY_MIN, medium: 30 * DAY_MIN },
  labels: {
    elite: 'Less than one day',
    high: 'Between one day and one week',
    medium: 'Between one week and one month',
    low: 'Between one month and six months',
  },
};

/**
 * The clusters of the Accelerate State of DevOps reports. 2024's are not
 * ordered on every figure: its Medium cluster failed fewer changes (10 %)
 * than its High one (20 %), and High and Medium recovered alike (< 1 day).
 * Read with the "best tier whose limit is met" rule, a 2024 change failure
 * rate from 5 % to 20 % is High and Medium is never given for it; recovery
 * from one day on is Low.
 * @public
 */
export const DORA_BENCHMARKS: Record<DoraBenchmarkYear, DoraBenchmark> = {
  '2023': {
    year: '2023',
    source: 'Accelerate State of DevOps Report 2023 (DORA)',
    figures: {
      deploymentFrequency: DEPLOYMENT_FREQUENCY,
      leadTime: LEAD_TIME,
      changeFailureRate: {
        unit: 'ratio',
        meets: 'atMost',
        limits: { elite: 0.05, high: 0.1, medium: 0.15 },
        labels: { elite: '5 %', high: '10 %', medium: '15 %', low: '64 %' },
      },
      failedDeploymentRecoveryTime: {
        unit: 'minutes',
        meets: 'below',
        limits: { elite: HOUR_MIN, high: DAY_MIN, medium: 7 * DAY_MIN },
        labels: {
          elite: 'Less than one hour',
          high: 'Less than one day',
          medium: 'Between one day and one week',
          low: 'Between one month and six months',
        },
      },
    },
  },
  '2024': {
    year: '2024',
    source: 'Accelerate State of DevOps Report 2024 (DORA)',
    figures: {
      deploymentFrequency: {
        ...DEPLOYMENT_FREQUENCY,
        labels: {
          ...DEPLOYMENT_FREQUENCY.labels,
          low: 'Between once per month and once every six months',
        },
      },
      leadTime: LEAD_TIME,
      changeFailureRate: {
        unit: 'ratio',
        meets: 'atMost',
        limits: { elite: 0.05, high: 0.2, medium: 0.1 },
        labels: { elite: '5 %', high: '20 %', medium: '10 %', low: '40 %' },
      },
      failedDeploymentRecoveryTime: {
        unit: 'minutes',
        meets: 'below',
        limits: { elite: HOUR_MIN, high: DAY_MIN, medium: DAY_MIN },
        labels: {
          elite: 'Less than one hour',
          high: 'Less than one day',
          medium: 'Less than one day',
          low: 'Between one week and one month',
        },
      },
    },
  },
};

/**
 * DORA's grouping since 2024: throughput (how fast changes flow, recovery
 * included) and instability (how often they must be redone).
 * @public
 */
export const DORA_PROFILE = {
  throughput: [
    'deploymentFrequency',
    'leadTime',
    'failedDeploymentRecoveryTime',
  ] as const,
  instability: ['changeFailureRate', 'deploymentReworkRate'] as const,
};

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
  clusterValidationPassRates:
    'Per suite of the cluster-regions’ own validations (cluster-test-result events; of the filtered cluster-region, else of all): Σpassed / Σtotal × 100 over the runs executed in the bucket; null when none ran. They belong to no service: empty when the answer is filtered to one.',
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
  deploymentReworkRate:
    'DORA’s "deployment rework rate" (2024): rework attempts / all finished attempts that ended in the window, as a ratio from 0 to 1; null with no finished attempt. A finished attempt is rework when its trigger is rollback or hotfix, or when it replaces a failure: the latest FAILED/ROLLBACK attempt of the same service on the same cluster-region that ended strictly before it ended at most reworkWindowMinutes (see samples) before it, and no SUCCESS/LIVE attempt there ended after that failure and strictly before it. DORA published no tiers for it.',
  tier: 'Each figure is rated against the clusters of the selected DORA report (benchmark.year; 2023 or 2024, thresholds in benchmark.figures): the best tier, elite then high then medium, whose limit the exact figure meets, else low; null without samples. 2023: deployment frequency ≥ 1/day, ≥ 1/week, ≥ 1/month; lead time < 1 day, < 1 week, < 1 month; change failure rate ≤ 5 %, ≤ 10 %, ≤ 15 %; recovery < 1 hour, < 1 day, < 1 week. 2024: the same frequency and lead time; change failure rate ≤ 5 %, ≤ 20 % (High), Medium’s 10 % already High; recovery < 1 hour, < 1 day (High and Medium alike). The overall tier is the worst tier among the figures that have samples.',
  profile:
    'DORA’s 2024 grouping: throughput = deployment frequency, lead time and failed deployment recovery time; instability = change failure rate and deployment rework rate. Each group’s tier is the worst tier among its rated figures (rework rate has no tier).',
} as const;

/** A group of DORA's profile with its tier. @public */
export type DoraProfileGroup = {
  tier: DoraTier | null;
  figures: string[];
};

/** @public */
export type DoraFigures = {
  deploymentFrequencyPerDay: number;
  leadTimeMin: { p50: number | null; p90: number | null };
  /** Ratio from 0 to 1; null without finished attempts. */
  changeFailureRate: number | null;
  /** Ratio from 0 to 1 of rework attempts; null without finished attempts. */
  deploymentReworkRate: number | null;
  failedDeploymentRecoveryTimeMin: { p50: number | null };
  /** @deprecated The old name of failedDeploymentRecoveryTimeMin, same value. */
  timeToRestoreMin: { p50: number | null };
  /** The report whose clusters the tiers are read against. */
  benchmark: DoraBenchmark;
  /** Worst tier among the figures that have samples; null with no data. */
  tier: DoraTier | null;
  tiers: Record<TieredFigure, DoraTier | null>;
  profile: { throughput: DoraProfileGroup; instability: DoraProfileGroup };
  /** What each figure was computed from. */
  samples: {
    deploymentFrequency: { deploys: number; days: number };
    leadTime: { n: number };
    changeFailureRate: { failures: number; finished: number };
    failedDeploymentRecoveryTime: { n: number; unrecovered: number };
    deploymentReworkRate: {
      rework: number;
      finished: number;
      reworkWindowMinutes: number;
    };
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
  /** Pass rate per bucket of each cluster validation suite, by its name. */
  clusterValidationPassRates: {
    labels: string[];
    suites: Record<string, (number | null)[]>;
  };
  deployFrequency: {
    labels: string[];
    deploys: number[];
    avgLeadTimeMin: (number | null)[];
  };
  dora: DoraFigures;
  definitions: Record<keyof typeof ANALYTICS_DEFINITIONS, string>;
};

/** The exact figures the tiers are read from (the answer rounds them). @public */
export type ExactDoraFigures = {
  deploymentFrequencyPerDay: number | null;
  leadTimeP50Min: number | null;
  changeFailureRate: number | null;
  recoveryP50Min: number | null;
};

function tierOf(v: number | null, t: DoraThresholds): DoraTier | null {
  if (v === null) return null;
  const meets = (limit: number) => {
    if (t.meets === 'atLeast') return v >= limit;
    return t.meets === 'below' ? v < limit : v <= limit;
  };
  const tiers = ['elite', 'high', 'medium'] as const;
  return tiers.find(tier => meets(t.limits[tier])) ?? 'low';
}

/** The DORA tier of each figure in a benchmark; null when it has no samples. @public */
export function doraTiers(
  f: ExactDoraFigures,
  year: DoraBenchmarkYear = DEFAULT_DORA_BENCHMARK,
): DoraFigures['tiers'] {
  const b = DORA_BENCHMARKS[year].figures;
  return {
    deploymentFrequency: tierOf(
      f.deploymentFrequencyPerDay,
      b.deploymentFrequency,
    ),
    leadTime: tierOf(f.leadTimeP50Min, b.leadTime),
    changeFailureRate: tierOf(f.changeFailureRate, b.changeFailureRate),
    failedDeploymentRecoveryTime: tierOf(
      f.recoveryP50Min,
      b.failedDeploymentRecoveryTime,
    ),
  };
}

/** The worst of the tiers that are known. @public */
export function overallTier(
  tiers: ReadonlyArray<DoraTier | null>,
): DoraTier | null {
  const known = tiers.filter((t): t is DoraTier => t !== null);
  if (known.length === 0) return null;
  return known.reduce((worst, t) =>
    DORA_TIERS.indexOf(t) > DORA_TIERS.indexOf(worst) ? t : worst,
  );
}

/** The tiers, the overall one and the throughput / instability profile. @public */
export function doraRating(
  f: ExactDoraFigures,
  year: DoraBenchmarkYear = DEFAULT_DORA_BENCHMARK,
): Pick<DoraFigures, 'benchmark' | 'tier' | 'tiers' | 'profile'> {
  const tiers = doraTiers(f, year);
  const group = (figures: readonly string[]): DoraProfileGroup => ({
    tier: overallTier(
      figures.flatMap(k => (k in tiers ? [tiers[k as TieredFigure]] : [])),
    ),
    figures: [...figures],
  });
  return {
    benchmark: DORA_BENCHMARKS[year],
    tier: overallTier(Object.values(tiers)),
    tiers,
    profile: {
      throughput: group(DORA_PROFILE.throughput),
      instability: group(DORA_PROFILE.instability),
    },
  };
}
