import { ensureRollups } from '../database/rollups';
import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import {
  AnalyticsResponse,
  AttemptStatus,
  DORA_BENCHMARKS,
  DoraBenchmarkYear,
  DoraTier,
  EventEnvelope,
  Trigger,
  deploymentPayloadSchema,
  testResultPayloadSchema,
} from '@deployment-quality/plugin-deployment-quality-common';
import fc from 'fast-check';
import { createTestStore, testDatabaseIds } from '../__testUtils__/databases';
import { AnalyticsScope, KnexAnalytics } from './KnexAnalytics';
import { resolveWindow } from './window';
import { mulberry32 } from '../__testUtils__/random';

/**
 * The SQL analytics and DORA figures against a reference implementation: plain
 * TypeScript over the generated final attempts and test runs (never over the
 * database), written from ANALYTICS_DEFINITIONS. The histories reach the
 * store as events, shuffled, partly re-sent and with IN_PROGRESS and
 * superseded events around the final one, so the figures are also shown not
 * to depend on arrival order. The tiers are read against both DORA
 * benchmarks (2023 and 2024), from thresholds written out here again.
 *
 * Deterministic: fast-check runs with a fixed seed; DQ_PROPERTY_SEED and
 * DQ_PROPERTY_RUNS override it and the number of runs.
 */

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: testDatabaseIds() });

const seed = process.env.DQ_PROPERTY_SEED
  ? Number(process.env.DQ_PROPERTY_SEED)
  : 20260302;
const numRuns = (databaseId: TestDatabaseId) =>
  Number(process.env.DQ_PROPERTY_RUNS) || (databaseId === 'SQLITE_3' ? 20 : 15);

type Result = Omit<
  AnalyticsResponse,
  'filter' | 'definitions' | 'clusterValidationPassRates'
>;
type Query = { from: string; to: string; bucket: 'day' | 'week' };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** A Monday. */
const BASE = Date.parse('2026-03-02T00:00:00.000Z');
const iso = (t: number) => new Date(t).toISOString();
const isoDay = (t: number) => iso(t).slice(0, 10);

// ---------------------------------------------------------------------------
// The model: the final state the store should hold.

interface AttemptModel {
  id: string;
  serviceId: string;
  clusterId: string;
  buildVersion: string;
  status: AttemptStatus;
  trigger: Trigger;
  startedAt: number;
  endedAt: number | null;
  commitAt: number | null;
}

interface RunModel {
  /** Null for a run whose attempt never arrived. */
  serviceId: string | null;
  clusterId: string | null;
  suiteType: string;
  passed: number;
  total: number;
  executedAt: number;
}

interface RefWindow {
  from: number;
  to: number;
  bucket: 'day' | 'week';
}

/** What the figures are read with besides the window. */
interface RefOptions {
  benchmark: DoraBenchmarkYear;
  reworkWindowMin: number;
}
const DEFAULTS: RefOptions = { benchmark: '2024', reworkWindowMin: 1440 };

// ---------------------------------------------------------------------------
// The reference implementation.

const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

const isDeploy = (a: AttemptModel) =>
  a.status === 'SUCCESS' || a.status === 'LIVE';
const isFailure = (a: AttemptModel) =>
  a.status === 'FAILED' || a.status === 'ROLLBACK';

/** Calendar arithmetic on UTC dates, not bucket sizes in milliseconds. */
function referenceBuckets(w: RefWindow) {
  const startOf = (t: number) => {
    const d = new Date(t);
    const day = new Date(
      Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()),
    );
    if (w.bucket === 'week') {
      // getUTCDay: 0 = Sunday; weeks start on Monday.
      day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
    }
    return day;
  };
  const labels: string[] = [];
  for (
    const d = startOf(w.from);
    d.getTime() < w.to;
    d.setUTCDate(d.getUTCDate() + (w.bucket === 'week' ? 7 : 1))
  ) {
    labels.push(isoDay(d.getTime()));
  }
  const bucketOf = (t: number) => {
    const i = labels.indexOf(isoDay(startOf(t).getTime()));
    if (i < 0) throw new Error(`no bucket for ${iso(t)}`);
    return i;
  };
  return { labels, bucketOf };
}

/** Linear interpolation between the order statistics, like percentile_cont. */
function percentile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

const TIER_ORDER: DoraTier[] = ['elite', 'high', 'medium', 'low'];

/** The first tier whose condition holds, else low; null without a value. */
function tierOf(
  v: number | null,
  conditions: Array<(v: number) => boolean>,
): DoraTier | null {
  if (v === null) return null;
  const i = conditions.findIndex(c => c(v));
  return i === -1 ? 'low' : TIER_ORDER[i];
}

const H = 60;
const D = 24 * H;
/**
 * The reports' clusters as conditions for elite, high and medium, in
 * minutes and per day. 2024's Medium failed fewer changes than its High and
 * recovered as fast: a medium condition that high already covers.
 */
const REFERENCE_TIERS: Record<
  DoraBenchmarkYear,
  Record<
    'deploymentFrequency' | 'leadTime' | 'changeFailureRate' | 'recovery',
    Array<(v: number) => boolean>
  >
> = {
  '2023': {
    deploymentFrequency: [v => v >= 1, v => v >= 1 / 7, v => v >= 1 / 30],
    leadTime: [v => v < D, v => v < 7 * D, v => v < 30 * D],
    changeFailureRate: [v => v <= 0.05, v => v <= 0.1, v => v <= 0.15],
    recovery: [v => v < H, v => v < D, v => v < 7 * D],
  },
  '2024': {
    deploymentFrequency: [v => v >= 1, v => v >= 1 / 7, v => v >= 1 / 30],
    leadTime: [v => v < D, v => v < 7 * D, v => v < 30 * D],
    changeFailureRate: [v => v <= 0.05, v => v <= 0.2, v => v <= 0.1],
    recovery: [v => v < H, v => v < D, v => v < D],
  },
};

const worst = (tiers: Array<DoraTier | null>) => {
  const known = tiers.filter((t): t is DoraTier => t !== null);
  return known.length
    ? TIER_ORDER[Math.max(...known.map(t => TIER_ORDER.indexOf(t)))]
    : null;
};

/**
 * Rework: a rollback or hotfix, or a finished attempt whose pair's latest
 * failure that ended strictly before it ended at most the rework window
 * before it, with no deploy of the pair ending in between (a deploy ending
 * at the failure's instant counts as before it).
 */
function isRework(a: AttemptModel, pair: AttemptModel[], windowMin: number) {
  if (a.trigger === 'rollback' || a.trigger === 'hotfix') return true;
  const before = pair.filter(x => x.endedAt! < a.endedAt!);
  const failures = before.filter(isFailure).map(x => x.endedAt!);
  if (failures.length === 0) return false;
  const lastFailure = Math.max(...failures);
  if (a.endedAt! - lastFailure > windowMin * MINUTE_MS) return false;
  return !before.some(x => isDeploy(x) && x.endedAt! > lastFailure);
}

function reference(
  attempts: AttemptModel[],
  runs: RunModel[],
  scope: AnalyticsScope,
  w: RefWindow,
  options: RefOptions = DEFAULTS,
): Result {
  const { labels, bucketOf } = referenceBuckets(w);
  const inWindow = (t: number | null): t is number =>
    t !== null && t >= w.from && t < w.to;
  const inScope = (x: { serviceId: string | null; clusterId: string | null }) =>
    (scope.serviceId === undefined || x.serviceId === scope.serviceId) &&
    (scope.clusterId === undefined || x.clusterId === scope.clusterId);
  const zeros = () => labels.map(() => 0);
  const mine = attempts.filter(inScope);

  const buildAttempts = {
    labels,
    success: zeros(),
    failed: zeros(),
    rollback: zeros(),
  };
  for (const a of mine.filter(x => inWindow(x.startedAt))) {
    const i = bucketOf(a.startedAt);
    if (isDeploy(a)) buildAttempts.success[i] += 1;
    if (a.status === 'FAILED') buildAttempts.failed[i] += 1;
    if (a.status === 'ROLLBACK') buildAttempts.rollback[i] += 1;
  }

  const deploys = mine.filter(a => isDeploy(a) && inWindow(a.endedAt));
  const lead = (a: AttemptModel) => a.endedAt! - (a.commitAt ?? a.startedAt);
  const perBucket = zeros();
  const leadSum = zeros();
  for (const d of deploys) {
    const i = bucketOf(d.endedAt!);
    perBucket[i] += 1;
    leadSum[i] += lead(d);
  }
  const deployFrequency = {
    labels,
    deploys: perBucket,
    avgLeadTimeMin: perBucket.map((n, i) =>
      n === 0 ? null : round(leadSum[i] / n / MINUTE_MS, 2),
    ),
  };

  const suites = new Map<string, { passed: number[]; total: number[] }>();
  const suite = (name: string) => {
    if (!suites.has(name))
      suites.set(name, { passed: zeros(), total: zeros() });
    return suites.get(name)!;
  };
  ['functional', 'sanity', 'regression'].forEach(suite);
  for (const r of runs.filter(x => inScope(x) && inWindow(x.executedAt))) {
    const s = suite(r.suiteType.toLowerCase());
    const i = bucketOf(r.executedAt);
    s.passed[i] += r.passed;
    s.total[i] += r.total;
  }
  const rates: Record<string, (number | null)[]> = {};
  for (const [name, s] of suites) {
    // A suite named like the labels can't be shown: the labels stay.
    if (name !== 'labels') {
      rates[name] = s.total.map((t, i) =>
        t > 0 ? round((s.passed[i] / t) * 100, 2) : null,
      );
    }
  }
  const testPassRates = {
    ...rates,
    labels,
    functional: rates.functional,
    sanity: rates.sanity,
    regression: rates.regression,
  };

  // DORA.
  const finished = mine.filter(
    a => a.status !== 'IN_PROGRESS' && inWindow(a.endedAt),
  );
  const failures = finished.filter(isFailure).length;
  const days = (w.to - w.from) / DAY_MS;
  const leads = deploys.map(lead);
  const leadP50 = percentile(leads, 0.5);
  const leadP90 = percentile(leads, 0.9);

  // Recovery: per (service, cluster), the finished attempts by endedAt (a
  // success ending at the same instant as a failure comes first: it can't
  // restore what failed at that instant); each run of consecutive failures
  // is restored by the success that follows it.
  const pairs = new Map<string, AttemptModel[]>();
  for (const a of mine.filter(x => x.status !== 'IN_PROGRESS')) {
    const key = `${a.serviceId}|${a.clusterId}`;
    pairs.set(key, [...(pairs.get(key) ?? []), a]);
  }
  const restoreTimes: number[] = [];
  let unrecovered = 0;
  for (const list of pairs.values()) {
    list.sort(
      (x, y) =>
        x.endedAt! - y.endedAt! || Number(isFailure(x)) - Number(isFailure(y)),
    );
    let i = 0;
    while (i < list.length) {
      if (!isFailure(list[i])) {
        i += 1;
        continue;
      }
      const first = list[i];
      while (i < list.length && isFailure(list[i])) i += 1;
      const next = list[i] as AttemptModel | undefined;
      if (inWindow(first.endedAt)) {
        if (next) restoreTimes.push(next.endedAt! - first.endedAt!);
        else unrecovered += 1;
      }
    }
  }
  const restoreP50 = percentile(restoreTimes, 0.5);
  const rework = finished.filter(a =>
    isRework(
      a,
      pairs.get(`${a.serviceId}|${a.clusterId}`)!,
      options.reworkWindowMin,
    ),
  ).length;

  // Tiers, from the exact figures (the answer shows them rounded).
  const limits = REFERENCE_TIERS[options.benchmark];
  const tiers = {
    deploymentFrequency: tierOf(
      finished.length > 0 ? deploys.length / days : null,
      limits.deploymentFrequency,
    ),
    leadTime: tierOf(
      leadP50 === null ? null : leadP50 / MINUTE_MS,
      limits.leadTime,
    ),
    changeFailureRate: tierOf(
      finished.length > 0 ? failures / finished.length : null,
      limits.changeFailureRate,
    ),
    failedDeploymentRecoveryTime: tierOf(
      restoreP50 === null ? null : restoreP50 / MINUTE_MS,
      limits.recovery,
    ),
  };
  const minutes = (ms: number | null) =>
    ms === null ? null : round(ms / MINUTE_MS, 2);
  const recovery = { p50: minutes(restoreP50) };

  return {
    buildAttempts,
    deployFrequency,
    testPassRates,
    dora: {
      deploymentFrequencyPerDay: round(deploys.length / days, 4),
      leadTimeMin: { p50: minutes(leadP50), p90: minutes(leadP90) },
      changeFailureRate:
        finished.length > 0 ? round(failures / finished.length, 4) : null,
      deploymentReworkRate:
        finished.length > 0 ? round(rework / finished.length, 4) : null,
      failedDeploymentRecoveryTimeMin: recovery,
      timeToRestoreMin: recovery,
      benchmark: DORA_BENCHMARKS[options.benchmark],
      tier: worst(Object.values(tiers)),
      tiers,
      profile: {
        throughput: {
          tier: worst([
            tiers.deploymentFrequency,
            tiers.leadTime,
            tiers.failedDeploymentRecoveryTime,
          ]),
          figures: [
            'deploymentFrequency',
            'leadTime',
            'failedDeploymentRecoveryTime',
          ],
        },
        instability: {
          tier: tiers.changeFailureRate,
          figures: ['changeFailureRate', 'deploymentReworkRate'],
        },
      },
      samples: {
        deploymentFrequency: { deploys: deploys.length, days: round(days, 4) },
        leadTime: { n: deploys.length },
        changeFailureRate: { failures, finished: finished.length },
        failedDeploymentRecoveryTime: {
          n: restoreTimes.length,
          unrecovered,
        },
        deploymentReworkRate: {
          rework,
          finished: finished.length,
          reworkWindowMinutes: options.reworkWindowMin,
        },
      },
    },
  };
}

/** The window of a query, read independently of resolveWindow. */
function refWindow(q: Query): RefWindow {
  const dateOnly = (v: string) => v.length === 10;
  return {
    from: Date.parse(q.from),
    to: Date.parse(q.to) + (dateOnly(q.to) ? DAY_MS : 0),
    bucket: q.bucket,
  };
}

// ---------------------------------------------------------------------------
// Events.

/** Builds a history as events plus the model of its final state. */
class History {
  readonly attempts: AttemptModel[] = [];
  readonly runs: RunModel[] = [];
  readonly events: EventEnvelope[] = [];

  private envelope(
    eventType: 'deployment' | 'test-result',
    payload: unknown,
  ): EventEnvelope {
    const envelope = {
      eventId: `${eventType}-${this.events.length + 1}`,
      eventType,
      source: 'test',
      receivedAt: '2026-04-01T00:00:00.000Z',
      payload:
        eventType === 'deployment'
          ? deploymentPayloadSchema.parse(payload)
          : testResultPayloadSchema.parse(payload),
    } as EventEnvelope;
    this.events.push(envelope);
    return envelope;
  }

  /** One event of an attempt; commitAt sent with it when `withCommit`. */
  private deploymentEvent(
    a: AttemptModel,
    e: { status: AttemptStatus; endedAt: number | null; commitAt?: number },
  ) {
    return this.envelope('deployment', {
      clusterId: a.clusterId,
      serviceId: a.serviceId,
      buildVersion: a.buildVersion,
      gitSha: 'abc1234',
      status: e.status,
      startedAt: iso(a.startedAt),
      ...(e.endedAt !== null ? { endedAt: iso(e.endedAt) } : {}),
      trigger: a.trigger,
      runNumber: 1,
      ...(e.commitAt !== undefined ? { commitAt: iso(e.commitAt) } : {}),
    });
  }

  /**
   * An attempt and its events: the final one, optionally a finished one that
   * ended earlier (superseded by the ordering rules) and IN_PROGRESS ones.
   * `commitOn` says which of them carry `commitAt`, by position in that order
   * (the superseded one only when there is one); the model keeps `commitAt`
   * when any of them did.
   */
  attempt(spec: {
    serviceId: string;
    clusterId: string;
    status: AttemptStatus;
    startedAt: number;
    endedAt?: number;
    commitAt?: number;
    commitOn?: boolean[];
    superseded?: { status: AttemptStatus; endedAt: number };
    inProgressEvents?: number;
    trigger?: Trigger;
  }): AttemptModel {
    const finished = spec.status !== 'IN_PROGRESS';
    const commitOn = spec.commitOn ?? [true];
    const a: AttemptModel = {
      id: '',
      serviceId: spec.serviceId,
      clusterId: spec.clusterId,
      buildVersion: `1.0.${this.attempts.length}`,
      status: spec.status,
      trigger: spec.trigger ?? 'merge',
      startedAt: spec.startedAt,
      endedAt: finished ? spec.endedAt! : null,
      commitAt: null,
    };
    a.id = `${a.clusterId}:${a.serviceId}:${a.buildVersion}:1`;
    const sends: { status: AttemptStatus; endedAt: number | null }[] = [];
    if (finished) sends.push({ status: spec.status, endedAt: a.endedAt });
    if (finished && spec.superseded) sends.push(spec.superseded);
    const inProgress = Math.max(spec.inProgressEvents ?? 0, finished ? 0 : 1);
    for (let k = 0; k < inProgress; k++) {
      sends.push({ status: 'IN_PROGRESS', endedAt: null });
    }
    sends.forEach((s, k) => {
      const withCommit = spec.commitAt !== undefined && commitOn[k];
      if (withCommit) a.commitAt = spec.commitAt!;
      this.deploymentEvent(a, {
        ...s,
        ...(withCommit ? { commitAt: spec.commitAt } : {}),
      });
    });
    this.attempts.push(a);
    return a;
  }

  /** A deploy attempt from ISO times, for the explicit cases. */
  deploy(
    serviceId: string,
    clusterId: string,
    status: AttemptStatus,
    startedAt: string,
    endedAt?: string,
    extra: {
      commitAt?: string;
      commitOn?: boolean[];
      inProgress?: number;
      trigger?: Trigger;
    } = {},
  ) {
    return this.attempt({
      serviceId,
      clusterId,
      status,
      startedAt: Date.parse(startedAt),
      ...(endedAt ? { endedAt: Date.parse(endedAt) } : {}),
      ...(extra.commitAt ? { commitAt: Date.parse(extra.commitAt) } : {}),
      ...(extra.commitOn ? { commitOn: extra.commitOn } : {}),
      inProgressEvents: extra.inProgress ?? 0,
      ...(extra.trigger ? { trigger: extra.trigger } : {}),
    });
  }

  /** A test run linked by attempt id, by build, or to nothing known. */
  testRun(spec: {
    link:
      | { attempt: AttemptModel; byBuild: boolean }
      | { orphanAttemptId: string }
      | { serviceId: string; clusterId: string };
    suiteType: string;
    passed: number;
    failed?: number;
    skipped?: number;
    total: number;
    executedAt: number;
  }) {
    const l = spec.link;
    let link: Record<string, string>;
    let owner: { serviceId: string | null; clusterId: string | null };
    if ('attempt' in l) {
      link = l.byBuild
        ? {
            clusterId: l.attempt.clusterId,
            serviceId: l.attempt.serviceId,
            buildVersion: l.attempt.buildVersion,
          }
        : { attemptId: l.attempt.id };
      owner = l.attempt;
    } else if ('orphanAttemptId' in l) {
      link = { attemptId: l.orphanAttemptId };
      owner = { serviceId: null, clusterId: null };
    } else {
      link = { ...l, buildVersion: '9.9.9' };
      owner = l;
    }
    this.envelope('test-result', {
      ...link,
      suiteType: spec.suiteType,
      total: spec.total,
      passed: spec.passed,
      failed: spec.failed ?? spec.total - spec.passed,
      skipped: spec.skipped ?? 0,
      durationSec: 12,
      executedAt: iso(spec.executedAt),
    });
    this.runs.push({
      serviceId: owner.serviceId,
      clusterId: owner.clusterId,
      suiteType: spec.suiteType,
      passed: spec.passed,
      total: spec.total,
      executedAt: spec.executedAt,
    });
  }
}

/** A fresh database holding the events, applied in the order given. */
/**
 * A fresh database holding the events, applied in the order given: one by one,
 * or with `batchSeed` in consecutive groups of 1 to 6 (ingest() for one,
 * ingestBatch() for more), as webhook batches and queue polls deliver them.
 */
async function load(
  databaseId: TestDatabaseId,
  events: EventEnvelope[],
  batchSeed?: number,
  reworkWindowMinutes = DEFAULTS.reworkWindowMin,
) {
  const { knex, store } = await createTestStore(databases, databaseId);
  const random = mulberry32(batchSeed ?? 0);
  for (let i = 0; i < events.length; ) {
    const n = batchSeed === undefined ? 1 : 1 + Math.floor(random() * 6);
    const group = events.slice(i, i + n);
    if (group.length === 1) await store.ingest(group[0]);
    else await store.ingestBatch(group);
    i += n;
  }
  return new KnexAnalytics(knex, { reworkWindowMinutes });
}

/** The events shuffled, about a quarter of them sent twice. */
function delivery(events: EventEnvelope[], shuffleSeed: number) {
  const random = mulberry32(shuffleSeed);
  const out = [...events, ...events.filter(() => random() < 0.25)];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ---------------------------------------------------------------------------
// Generated histories.

const SERVICES = ['authn', 'billing', 'search'];
const CLUSTERS = ['mira-us-west-2', 'pavo-us-east-1'];
const SUITES = ['FUNCTIONAL', 'SANITY', 'REGRESSION', 'PERF_SMOKE'];
const FINISHED_STATUSES: AttemptStatus[] = [
  'SUCCESS',
  'LIVE',
  'FAILED',
  'ROLLBACK',
];

/**
 * A time: minutes from BASE over days −2 to 13, sometimes on a 6-hour grid
 * (bucket starts), or one of the window's bounds (as dates or as timestamps)
 * give or take a millisecond.
 */
const timeArb = fc.oneof(
  {
    arbitrary: fc.record({
      minute: fc.integer({ min: -2 * 1440, max: 13 * 1440 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      minute: fc.integer({ min: -8, max: 52 }).map(k => k * 360),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      anchor: fc.constantFrom(
        'dateFrom' as const,
        'dateTo' as const,
        'stampFrom' as const,
        'stampTo' as const,
      ),
      deltaMs: fc.constantFrom(-1, 0, 0, 1),
    }),
    weight: 2,
  },
);
type TimeSpec =
  | { minute: number }
  | {
      anchor: 'dateFrom' | 'dateTo' | 'stampFrom' | 'stampTo';
      deltaMs: number;
    };

const attemptSpecArb = fc.record({
  serviceId: fc.constantFrom(...SERVICES),
  clusterId: fc.constantFrom(...CLUSTERS),
  status: fc.oneof(
    { arbitrary: fc.constantFrom<AttemptStatus>('SUCCESS', 'LIVE'), weight: 4 },
    {
      arbitrary: fc.constantFrom<AttemptStatus>('FAILED', 'ROLLBACK'),
      weight: 3,
    },
    { arbitrary: fc.constant<AttemptStatus>('IN_PROGRESS'), weight: 1 },
  ),
  /** startedAt, or endedAt when `atEnd`. */
  at: timeArb,
  atEnd: fc.boolean(),
  durationMin: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 180 }),
    fc.integer({ min: 1, max: 3 * 1440 }),
  ),
  commitBeforeMin: fc.option(
    fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 * 1440 })),
    { nil: undefined },
  ),
  commitOn: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  inProgressEvents: fc.integer({ min: 0, max: 2 }),
  trigger: fc.oneof(
    { arbitrary: fc.constant<Trigger>('merge'), weight: 6 },
    fc.constantFrom<Trigger>('promotion', 'manual', 'rollback', 'hotfix'),
  ),
  superseded: fc.option(
    fc.record({
      status: fc.constantFrom(...FINISHED_STATUSES),
      earlierBy: fc.nat(),
    }),
    { nil: undefined },
  ),
});

const runSpecArb = fc.record({
  link: fc.constantFrom('attempt', 'build', 'orphanAttempt', 'orphanBuild'),
  index: fc.nat(),
  serviceId: fc.constantFrom(...SERVICES),
  clusterId: fc.constantFrom(...CLUSTERS),
  suiteType: fc.constantFrom(...SUITES),
  counts: fc.oneof(
    { arbitrary: fc.constant([0, 0, 0, 0]), weight: 1 },
    {
      arbitrary: fc.tuple(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 3 }),
      ),
      weight: 4,
    },
  ),
  executedAt: timeArb,
});

const windowArb = fc.record({
  fromDay: fc.integer({ min: 0, max: 3 }),
  days: fc.integer({ min: 1, max: 10 }),
  fromOffsetMin: fc.oneof(
    fc.constantFrom(0, 360, 720, 1080),
    fc.integer({ min: 1, max: 1439 }),
  ),
  toOffsetMin: fc.oneof(
    fc.constantFrom(0, 360, 720, 1080),
    fc.integer({ min: 1, max: 1439 }),
  ),
});

const scenarioArb = fc.record({
  attempts: fc.array(attemptSpecArb, {
    minLength: 3,
    maxLength: 40,
    size: 'medium',
  }),
  runs: fc.array(runSpecArb, { minLength: 2, maxLength: 25, size: 'medium' }),
  window: windowArb,
  serviceId: fc.constantFrom(...SERVICES),
  clusterId: fc.constantFrom(...CLUSTERS),
  shuffleSeed: fc.integer(),
  reworkWindowMin: fc.constantFrom(60, 1440, 3 * 1440),
  /**
   * Back-to-back attempts of one pair, a few minutes to hours apart: the
   * failures, retries and fixes that rework and recovery are about.
   */
  burst: fc.record({
    at: timeArb,
    attempts: fc.array(
      fc.record({
        status: fc.constantFrom(...FINISHED_STATUSES),
        gapMin: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600 })),
        durationMin: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 90 })),
      }),
      { maxLength: 12 },
    ),
  }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function historyOf(s: Scenario): History {
  const bounds = windowBounds(s.window);
  const time = (t: TimeSpec) =>
    'minute' in t ? BASE + t.minute * MINUTE_MS : bounds[t.anchor] + t.deltaMs;
  const h = new History();
  for (const spec of s.attempts) {
    const duration = spec.durationMin * MINUTE_MS;
    const startedAt = time(spec.at) - (spec.atEnd ? duration : 0);
    const endedAt = startedAt + duration;
    h.attempt({
      serviceId: spec.serviceId,
      clusterId: spec.clusterId,
      status: spec.status,
      startedAt,
      endedAt,
      ...(spec.commitBeforeMin !== undefined
        ? { commitAt: startedAt - spec.commitBeforeMin * MINUTE_MS }
        : {}),
      commitOn: spec.commitOn,
      // Ends strictly earlier than the final event, not before the start.
      ...(spec.superseded && spec.durationMin > 0
        ? {
            superseded: {
              status: spec.superseded.status,
              endedAt:
                endedAt -
                (1 + (spec.superseded.earlierBy % spec.durationMin)) *
                  MINUTE_MS,
            },
          }
        : {}),
      inProgressEvents: spec.inProgressEvents,
      trigger: spec.trigger,
    });
  }
  let next = time(s.burst.at);
  for (const b of s.burst.attempts) {
    const startedAt = next + b.gapMin * MINUTE_MS;
    next = startedAt + b.durationMin * MINUTE_MS;
    h.attempt({
      serviceId: s.serviceId,
      clusterId: s.clusterId,
      status: b.status,
      startedAt,
      endedAt: next,
    });
  }
  const attempts = [...h.attempts];
  for (const r of s.runs) {
    const [passed, failed, skipped, notRun] = r.counts;
    const attempt = attempts[r.index % Math.max(attempts.length, 1)];
    let link: Parameters<History['testRun']>[0]['link'];
    if (attempt && (r.link === 'attempt' || r.link === 'build')) {
      link = { attempt, byBuild: r.link === 'build' };
    } else if (r.link === 'orphanBuild') {
      link = { serviceId: r.serviceId, clusterId: r.clusterId };
    } else {
      link = { orphanAttemptId: 'ghost-run-7' };
    }
    h.testRun({
      link,
      suiteType: r.suiteType,
      passed,
      failed,
      skipped,
      total: passed + failed + skipped + notRun,
      executedAt: time(r.executedAt),
    });
  }
  return h;
}

/** The bounds of the window given as dates and as timestamps. */
function windowBounds(w: Scenario['window']) {
  const dateFrom = BASE + w.fromDay * DAY_MS;
  const dateTo = dateFrom + w.days * DAY_MS;
  return {
    dateFrom,
    dateTo,
    stampFrom: dateFrom + w.fromOffsetMin * MINUTE_MS,
    stampTo: dateTo + w.toOffsetMin * MINUTE_MS,
  };
}

/** The same window as dates and as timestamps, each bucketed by day and week. */
function queriesOf(w: Scenario['window']): Query[] {
  const b = windowBounds(w);
  const dates = { from: isoDay(b.dateFrom), to: isoDay(b.dateTo - DAY_MS) };
  const stamps = { from: iso(b.stampFrom), to: iso(b.stampTo) };
  return [
    { ...dates, bucket: 'day' },
    { ...dates, bucket: 'week' },
    { ...stamps, bucket: 'day' },
    { ...stamps, bucket: 'week' },
  ];
}

// ---------------------------------------------------------------------------

describe.each(databases.eachSupportedId())(
  'KnexAnalytics on %p',
  (databaseId: TestDatabaseId) => {
    /** Computes the figures and compares them with the reference. */
    async function computeAndCompare(
      analytics: KnexAnalytics,
      h: History,
      scope: AnalyticsScope,
      query: Query,
      options: Partial<RefOptions> = {},
    ): Promise<Result> {
      const o = { ...DEFAULTS, ...options };
      const actual = await analytics.compute(
        scope,
        resolveWindow(query),
        o.benchmark,
      );
      expect({ scope, query, ...actual }).toEqual({
        scope,
        query,
        ...reference(h.attempts, h.runs, scope, refWindow(query), o),
      });
      return actual;
    }

    it('matches the reference on generated histories, whatever the arrival order', async () => {
      let compared = 0;
      await fc.assert(
        fc.asyncProperty(scenarioArb, async s => {
          const h = historyOf(s);
          const analytics = await load(
            databaseId,
            delivery(h.events, s.shuffleSeed),
            s.shuffleSeed + 1,
            s.reworkWindowMin,
          );
          const scopes: AnalyticsScope[] = [
            {},
            { serviceId: s.serviceId },
            { clusterId: s.clusterId },
            { serviceId: s.serviceId, clusterId: s.clusterId },
          ];
          // Each scope and query read against one benchmark, alternately.
          await Promise.all(
            scopes.flatMap((scope, i) =>
              queriesOf(s.window).map(async (query, j) => {
                await computeAndCompare(analytics, h, scope, query, {
                  benchmark: (i + j) % 2 === 0 ? '2023' : '2024',
                  reworkWindowMin: s.reworkWindowMin,
                });
                compared += 1;
              }),
            ),
          );
        }),
        { seed, numRuns: numRuns(databaseId) },
      );
      // 4 scopes × 2 window forms × 2 bucket sizes per generated history.
      expect(compared).toBe(numRuns(databaseId) * 16);
    });

    it('answers an empty window with every bucket, zeros, nulls and no tier', async () => {
      // History before and after the window only.
      const h = new History();
      h.deploy(
        'authn',
        'mira-us-west-2',
        'FAILED',
        '2026-03-01T23:00:00.000Z',
        '2026-03-01T23:59:59.999Z',
      );
      h.deploy(
        'authn',
        'mira-us-west-2',
        'SUCCESS',
        '2026-03-09T00:00:00.000Z',
        '2026-03-09T00:10:00.000Z',
      );
      h.testRun({
        link: { serviceId: 'authn', clusterId: 'mira-us-west-2' },
        suiteType: 'PERF_SMOKE',
        passed: 1,
        total: 1,
        executedAt: Date.parse('2026-03-09T00:00:00.000Z'),
      });
      const analytics = await load(databaseId, h.events);

      const byDay = await computeAndCompare(
        analytics,
        h,
        {},
        {
          from: '2026-03-02',
          to: '2026-03-08',
          bucket: 'day',
        },
      );
      const days = [
        '2026-03-02',
        '2026-03-03',
        '2026-03-04',
        '2026-03-05',
        '2026-03-06',
        '2026-03-07',
        '2026-03-08',
      ];
      const zeros = days.map(() => 0);
      const nulls = days.map(() => null);
      expect(byDay).toEqual({
        buildAttempts: {
          labels: days,
          success: zeros,
          failed: zeros,
          rollback: zeros,
        },
        testPassRates: {
          labels: days,
          functional: nulls,
          sanity: nulls,
          regression: nulls,
        },
        deployFrequency: {
          labels: days,
          deploys: zeros,
          avgLeadTimeMin: nulls,
        },
        dora: {
          deploymentFrequencyPerDay: 0,
          leadTimeMin: { p50: null, p90: null },
          changeFailureRate: null,
          deploymentReworkRate: null,
          failedDeploymentRecoveryTimeMin: { p50: null },
          timeToRestoreMin: { p50: null },
          benchmark: DORA_BENCHMARKS['2024'],
          tier: null,
          tiers: {
            deploymentFrequency: null,
            leadTime: null,
            changeFailureRate: null,
            failedDeploymentRecoveryTime: null,
          },
          profile: {
            throughput: {
              tier: null,
              figures: [
                'deploymentFrequency',
                'leadTime',
                'failedDeploymentRecoveryTime',
              ],
            },
            instability: {
              tier: null,
              figures: ['changeFailureRate', 'deploymentReworkRate'],
            },
          },
          samples: {
            deploymentFrequency: { deploys: 0, days: 7 },
            leadTime: { n: 0 },
            changeFailureRate: { failures: 0, finished: 0 },
            failedDeploymentRecoveryTime: { n: 0, unrecovered: 0 },
            deploymentReworkRate: {
              rework: 0,
              finished: 0,
              reworkWindowMinutes: 1440,
            },
          },
        },
      });

      // Wednesday 4 to Tuesday 17 March (to exclusive): three ISO weeks.
      const byWeek = await computeAndCompare(
        analytics,
        h,
        {},
        {
          from: '2026-03-04T00:00:00.000Z',
          to: '2026-03-17T12:00:00.000Z',
          bucket: 'week',
        },
      );
      expect(byWeek.buildAttempts.labels).toEqual([
        '2026-03-02',
        '2026-03-09',
        '2026-03-16',
      ]);
      expect(byWeek.deployFrequency.deploys).toEqual([0, 1, 0]);
      expect(byWeek.testPassRates.perf_smoke).toEqual([null, 100, null]);

      // An empty database.
      const empty = await load(databaseId, []);
      const none = await computeAndCompare(
        empty,
        new History(),
        { serviceId: 'authn' },
        { from: '2026-03-02', to: '2026-03-08', bucket: 'week' },
      );
      expect(none.buildAttempts).toEqual({
        labels: ['2026-03-02'],
        success: [0],
        failed: [0],
        rollback: [0],
      });
      expect(none.dora.tier).toBeNull();
      expect(none.dora.deploymentFrequencyPerDay).toBe(0);
    });

    it('counts a single event', async () => {
      const h = new History();
      h.deploy(
        'authn',
        'mira-us-west-2',
        'SUCCESS',
        '2026-03-03T09:00:00.000Z',
        '2026-03-03T09:30:00.000Z',
      );
      const analytics = await load(databaseId, h.events);
      const query: Query = {
        from: '2026-03-02',
        to: '2026-03-08',
        bucket: 'day',
      };
      const r = await computeAndCompare(analytics, h, {}, query);
      expect(r.buildAttempts.success).toEqual([0, 1, 0, 0, 0, 0, 0]);
      expect(r.deployFrequency.deploys).toEqual([0, 1, 0, 0, 0, 0, 0]);
      expect(r.deployFrequency.avgLeadTimeMin).toEqual([
        null,
        30,
        null,
        null,
        null,
        null,
        null,
      ]);
      expect(r.dora).toEqual({
        deploymentFrequencyPerDay: 0.1429,
        leadTimeMin: { p50: 30, p90: 30 },
        changeFailureRate: 0,
        deploymentReworkRate: 0,
        failedDeploymentRecoveryTimeMin: { p50: null },
        timeToRestoreMin: { p50: null },
        benchmark: DORA_BENCHMARKS['2024'],
        tier: 'high',
        tiers: {
          deploymentFrequency: 'high',
          leadTime: 'elite',
          changeFailureRate: 'elite',
          failedDeploymentRecoveryTime: null,
        },
        profile: {
          throughput: {
            tier: 'high',
            figures: [
              'deploymentFrequency',
              'leadTime',
              'failedDeploymentRecoveryTime',
            ],
          },
          instability: {
            tier: 'elite',
            figures: ['changeFailureRate', 'deploymentReworkRate'],
          },
        },
        samples: {
          deploymentFrequency: { deploys: 1, days: 7 },
          leadTime: { n: 1 },
          changeFailureRate: { failures: 0, finished: 1 },
          failedDeploymentRecoveryTime: { n: 0, unrecovered: 0 },
          deploymentReworkRate: {
            rework: 0,
            finished: 1,
            reworkWindowMinutes: 1440,
          },
        },
      });
      for (const scope of [
        { serviceId: 'billing' },
        { clusterId: 'pavo-us-east-1' },
        { serviceId: 'authn', clusterId: 'pavo-us-east-1' },
      ]) {
        const other = await computeAndCompare(analytics, h, scope, query);
        expect(other.dora.tier).toBeNull();
      }
      const same = await computeAndCompare(
        analytics,
        h,
        { serviceId: 'authn', clusterId: 'mira-us-west-2' },
        query,
      );
      expect(same.dora).toEqual(r.dora);
    });

    it('handles days with only failures', async () => {
      const h = new History();
      h.deploy(
        'authn',
        'mira-us-west-2',
        'FAILED',
        '2026-03-04T10:00:00.000Z',
        '2026-03-04T10:10:00.000Z',
      );
      h.deploy(
        'authn',
        'mira-us-west-2',
        'ROLLBACK',
        '2026-03-04T11:00:00.000Z',
        '2026-03-04T11:20:00.000Z',
      );
      h.deploy(
        'billing',
        'mira-us-west-2',
        'FAILED',
        '2026-03-04T12:00:00.000Z',
        '2026-03-04T12:05:00.000Z',
      );
      h.deploy(
        'authn',
        'mira-us-west-2',
        'SUCCESS',
        '2026-03-05T09:00:00.000Z',
        '2026-03-05T09:40:00.000Z',
      );
      const analytics = await load(databaseId, [...h.events].reverse());
      const r = await computeAndCompare(
        analytics,
        h,
        {},
        {
          from: '2026-03-02',
          to: '2026-03-08',
          bucket: 'day',
        },
      );
      expect(r.buildAttempts).toMatchObject({
        success: [0, 0, 0, 1, 0, 0, 0],
        failed: [0, 0, 2, 0, 0, 0, 0],
        rollback: [0, 0, 1, 0, 0, 0, 0],
      });
      expect(r.deployFrequency.deploys).toEqual([0, 0, 0, 1, 0, 0, 0]);
      expect(r.deployFrequency.avgLeadTimeMin[2]).toBeNull();
      expect(r.dora.changeFailureRate).toBe(0.75);
      // 10:10 on the 4th to 09:40 on the 5th; billing's run is not restored.
      expect(r.dora.timeToRestoreMin.p50).toBe(1410);
      expect(r.dora.samples.failedDeploymentRecoveryTime).toEqual({
        n: 1,
        unrecovered: 1,
      });
      expect(r.dora.tiers).toEqual({
        deploymentFrequency: 'high',
        leadTime: 'elite',
        changeFailureRate: 'low',
        failedDeploymentRecoveryTime: 'high',
      });
      expect(r.dora.tier).toBe('low');

      // The failures' day alone: nothing deployed, yet rated.
      const day = await computeAndCompare(
        analytics,
        h,
        {},
        {
          from: '2026-03-04',
          to: '2026-03-04',
          bucket: 'day',
        },
      );
      expect(day.dora).toMatchObject({
        deploymentFrequencyPerDay: 0,
        leadTimeMin: { p50: null, p90: null },
        changeFailureRate: 1,
        timeToRestoreMin: { p50: 1410 },
        tier: 'low',
        tiers: { deploymentFrequency: 'low', leadTime: null },
      });
    });

    it('takes lead time from commitAt when some event gave it, else from startedAt', async () => {
      const h = new History();
      // commitAt on the final event: 10:30 − 08:00.
      h.deploy(
        'authn',
        'mira-us-west-2',
        'SUCCESS',
        '2026-03-03T10:00:00.000Z',
        '2026-03-03T10:30:00.000Z',
        { commitAt: '2026-03-03T08:00:00.000Z' },
      );
      // No commitAt: 12:30 − 12:00.
      h.deploy(
        'billing',
        'pavo-us-east-1',
        'SUCCESS',
        '2026-03-03T12:00:00.000Z',
        '2026-03-03T12:30:00.000Z',
        { inProgress: 1 },
      );
      // commitAt on the IN_PROGRESS event only, which arrives last: 14:15 − 13:00.
      h.deploy(
        'search',
        'mira-us-west-2',
        'LIVE',
        '2026-03-03T14:00:00.000Z',
        '2026-03-03T14:15:00.000Z',
        {
          commitAt: '2026-03-03T13:00:00.000Z',
          commitOn: [false, true],
          inProgress: 1,
        },
      );
      expect(h.attempts.map(a => a.commitAt !== null)).toEqual([
        true,
        false,
        true,
      ]);
      const analytics = await load(databaseId, h.events);
      const query: Query = {
        from: '2026-03-03',
        to: '2026-03-04',
        bucket: 'day',
      };
      const r = await computeAndCompare(analytics, h, {}, query);
      expect(r.deployFrequency.avgLeadTimeMin).toEqual([85, null]);
      // [30, 75, 150]: p90 at 1.8 = 75 + 0.8 × 75.
      expect(r.dora.leadTimeMin).toEqual({ p50: 75, p90: 135 });
      const billing = await computeAndCompare(
        analytics,
        h,
        { serviceId: 'billing' },
        query,
      );
      expect(billing.dora.leadTimeMin).toEqual({ p50: 30, p90: 30 });
      const mira = await computeAndCompare(
        analytics,
        h,
        { clusterId: 'mira-us-west-2' },
        query,
      );
      expect(mira.deployFrequency.avgLeadTimeMin).toEqual([112.5, null]);
    });

    it('times only the failure runs that start in the window', async () => {
      const h = new History();
      // Failed before the window, restored in it: not counted.
      h.deploy(
        'authn',
        'mira-us-west-2',
        'FAILED',
        '2026-03-01T22:50:00.000Z',
        '2026-03-01T23:00:00.000Z',
      );
      h.deploy(
        'authn',
        'mira-us-west-2',
        'SUCCESS',
        '2026-03-02T00:30:00.000Z',
        '2026-03-02T01:00:00.000Z',
      );
      // A run that began before the window and went on in it: not counted.
      h.deploy(
        'billing',
        'mira-us-west-2',
        'FAILED',
        '2026-03-01T21:00:00.000Z',
        '2026-03-01T22:00:00.000Z',
      );
      h.deploy(
        'billing',
        'mira-us-west-2',
        'ROLLBACK',
        '2026-03-02T01:30:00.000Z',
        '2026-03-02T02:00:00.000Z',
      );
      h.deploy(
        'billing',
        'mira-us-west-2',
        'SUCCESS',
        '2026-03-02T02:30:00.000Z',
        '2026-03-02T03:00:00.000Z',
      );
      // In the window: 30 minutes.
      h.deploy(
        'search',
        'pavo-us-east-1',
        'FAILED',
        '2026-03-03T09:50:00.000Z',
        '2026-03-03T10:00:00.000Z',
      );
      h.deploy(
        'search',
        'pavo-us-east-1',
        'SUCCESS',
        '2026-03-03T10:20:00.000Z',
        '2026-03-03T10:30:00.000Z',
      );
      // A success elsewhere restores nothing here.
      h.deploy(
        'search',
        'mira-us-west-2',
        'SUCCESS',
        '2026-03-03T09:40:00.000Z',
        '2026-03-03T10:05:00.000Z',
      );
      const analytics = await load(databaseId, delivery(h.events, 7));
      const r = await computeAndCompare(
        analytics,
        h,
        {},
        {
          from: '2026-03-02',
          to: '2026-03-08',
          bucket: 'week',
        },
      );
      expect(r.dora.timeToRestoreMin.p50).toBe(30);
      expect(r.dora.samples.failedDeploymentRecoveryTime).toEqual({
        n: 1,
        unrecovered: 0,
      });
      expect(r.dora.samples.changeFailureRate).toEqual({
        failures: 2,
        finished: 6,
      });
      expect(r.dora.changeFailureRate).toBe(0.3333);
      const billing = await computeAndCompare(
        analytics,
        h,
        { serviceId: 'billing' },
        { from: '2026-03-02', to: '2026-03-08', bucket: 'day' },
      );
      expect(billing.dora.timeToRestoreMin.p50).toBeNull();
      expect(billing.dora.tiers.failedDeploymentRecoveryTime).toBeNull();
      expect(billing.dora.samples.failedDeploymentRecoveryTime).toEqual({
        n: 0,
        unrecovered: 0,
      });
      // From the 1st, billing's run counts: 22:00 to 03:00.
      const wider = await computeAndCompare(
        analytics,
        h,
        { serviceId: 'billing' },
        { from: '2026-03-01', to: '2026-03-08', bucket: 'day' },
      );
      expect(wider.dora.timeToRestoreMin.p50).toBe(300);
    });

    it('counts an unrecovered failure run apart, and times one restored after the window', async () => {
      const h = new History();
      h.deploy(
        'authn',
        'mira-us-west-2',
        'SUCCESS',
        '2026-03-02T10:00:00.000Z',
        '2026-03-02T10:10:00.000Z',
      );
      h.deploy(
        'authn',
        'mira-us-west-2',
        'FAILED',
        '2026-03-03T10:00:00.000Z',
        '2026-03-03T10:10:00.000Z',
      );
      h.deploy(
        'authn',
        'mira-us-west-2',
        'ROLLBACK',
        '2026-03-04T10:00:00.000Z',
        '2026-03-04T10:10:00.000Z',
      );
      // Still running: restores nothing.
      h.deploy(
        'authn',
        'mira-us-west-2',
        'IN_PROGRESS',
        '2026-03-05T10:00:00Z',
      );
      // Another cluster's success doesn't restore authn on mira.
      h.deploy(
        'authn',
        'pavo-us-east-1',
        'LIVE',
        '2026-03-05T10:00:00.000Z',
        '2026-03-05T10:10:00.000Z',
      );
      const analytics = await load(databaseId, delivery(h.events, 11));
      const query: Query = {
        from: '2026-03-02',
        to: '2026-03-08',
        bucket: 'day',
      };
      const r = await computeAndCompare(analytics, h, {}, query);
      expect(r.dora.timeToRestoreMin.p50).toBeNull();
      expect(r.dora.samples.failedDeploymentRecoveryTime).toEqual({
        n: 0,
        unrecovered: 1,
      });
      expect(r.dora.tiers.failedDeploymentRecoveryTime).toBeNull();

      // Restored on the 10th, after the window: timed all the same.
      h.deploy(
        'authn',
        'mira-us-west-2',
        'SUCCESS',
        '2026-03-10T10:00:00.000Z',
        '2026-03-10T10:10:00.000Z',
      );
      const later = await load(databaseId, delivery(h.events, 12));
      const restored = await computeAndCompare(later, h, {}, query);
      expect(restored.dora.timeToRestoreMin.p50).toBe(7 * 24 * 60);
      expect(restored.dora.tiers.failedDeploymentRecoveryTime).toBe('low');
      expect(restored.dora.samples.failedDeploymentRecoveryTime).toEqual({
        n: 1,
        unrecovered: 0,
      });
      // Nothing else moved.
      expect(restored.buildAttempts).toEqual(r.buildAttempts);
      expect(restored.dora.samples.changeFailureRate).toEqual(
        r.dora.samples.changeFailureRate,
      );
    });

    it('includes events exactly at from and excludes those exactly at to', async () => {
      const from = '2026-03-02T06:00:00.000Z';
      const to = '2026-03-04T06:00:00.000Z';
      const h = new History();
      // Started at from: an attempt of the window.
      h.deploy(
        'authn',
        'mira-us-west-2',
        'SUCCESS',
        from,
        '2026-03-02T06:30:00.000Z',
      );
      // Ended at from: a deploy of the window, started before it.
      h.deploy(
        'billing',
        'mira-us-west-2',
        'SUCCESS',
        '2026-03-02T05:30:00.000Z',
        from,
      );
      // Started in the window, ended at to: not a deploy of it.
      h.deploy(
        'search',
        'mira-us-west-2',
        'SUCCESS',
        '2026-03-04T05:30:00.000Z',
        to,
      );
      // Started and ended at to: outside.
      h.deploy('search', 'pavo-us-east-1', 'FAILED', to, to);
      // A failure at the last millisecond, restored at to: counted, timed.
      h.deploy(
        'authn',
        'pavo-us-east-1',
        'FAILED',
        '2026-03-04T05:00:00.000Z',
        '2026-03-04T05:59:59.999Z',
      );
      h.deploy(
        'authn',
        'pavo-us-east-1',
        'SUCCESS',
        '2026-03-04T05:59:00.000Z',
        to,
      );
      const runAt = (suiteType: string, passed: number, at: string) =>
        h.testRun({
          link: { attempt: h.attempts[0], byBuild: false },
          suiteType,
          passed,
          total: 4,
          executedAt: Date.parse(at),
        });
      runAt('FUNCTIONAL', 3, from);
      runAt('FUNCTIONAL', 0, to);
      runAt('SANITY', 1, '2026-03-04T05:59:59.999Z');
      runAt('REGRESSION', 0, '2026-03-02T05:59:59.999Z');
      const analytics = await load(databaseId, delivery(h.events, 3));

      const r = await computeAndCompare(
        analytics,
        h,
        {},
        {
          from,
          to,
          bucket: 'day',
        },
      );
      expect(r.buildAttempts).toEqual({
        labels: ['2026-03-02', '2026-03-03', '2026-03-04'],
        success: [1, 0, 2],
        failed: [0, 0, 1],
        rollback: [0, 0, 0],
      });
      expect(r.deployFrequency.deploys).toEqual([2, 0, 0]);
      expect(r.testPassRates).toEqual({
        labels: ['2026-03-02', '2026-03-03', '2026-03-04'],
        functional: [75, null, null],
        sanity: [null, null, 25],
        regression: [null, null, null],
      });
      expect(r.dora).toMatchObject({
        deploymentFrequencyPerDay: 1,
        changeFailureRate: 0.3333,
        timeToRestoreMin: { p50: 0 },
        samples: {
          deploymentFrequency: { deploys: 2, days: 2 },
          changeFailureRate: { failures: 1, finished: 3 },
          failedDeploymentRecoveryTime: { n: 1, unrecovered: 0 },
        },
      });

      // Dates: from is that midnight, to includes its whole day.
      const dates = await computeAndCompare(
        analytics,
        h,
        { serviceId: 'billing' },
        { from: '2026-03-02', to: '2026-03-03', bucket: 'week' },
      );
      expect(dates.deployFrequency.deploys).toEqual([1]);
      const edge = await computeAndCompare(
        analytics,
        h,
        {},
        { from: '2026-03-02', to: '2026-03-03', bucket: 'day' },
      );
      expect(edge.testPassRates.regression).toEqual([0, null]);
      expect(edge.buildAttempts.success).toEqual([2, 0]);
    });

    it('rates pass rates per suite, null when nothing ran or nothing was counted', async () => {
      const h = new History();
      const a = h.deploy(
        'authn',
        'mira-us-west-2',
        'SUCCESS',
        '2026-03-02T09:00:00.000Z',
        '2026-03-02T09:10:00.000Z',
      );
      const at = (d: string) => Date.parse(`2026-03-0${d}T12:00:00.000Z`);
      const run = (
        suiteType: string,
        passed: number,
        total: number,
        day: string,
        link: Parameters<History['testRun']>[0]['link'] = {
          attempt: a,
          byBuild: false,
        },
      ) =>
        h.testRun({
          link,
          suiteType,
          passed,
          failed: total - passed,
          skipped: 0,
          total,
          executedAt: at(day),
        });
      run('FUNCTIONAL', 9, 10, '2');
      run('FUNCTIONAL', 1, 3, '2', { attempt: a, byBuild: true });
      run('SANITY', 0, 0, '2');
      run('SANITY', 2, 3, '3');
      run('REGRESSION', 0, 0, '3');
      run('PERF_SMOKE', 0, 0, '3');
      run('FUNCTIONAL', 5, 5, '3', { orphanAttemptId: 'ghost-run-7' });
      run('FUNCTIONAL', 1, 2, '4', {
        serviceId: 'billing',
        clusterId: 'mira-us-west-2',
      });
      // Sent before the attempt: linked when it arrives.
      const analytics = await load(databaseId, [
        ...h.events.slice(1),
        h.events[0],
      ]);
      const query: Query = {
        from: '2026-03-02',
        to: '2026-03-04',
        bucket: 'day',
      };
      const all = await computeAndCompare(analytics, h, {}, query);
      expect(all.testPassRates).toEqual({
        labels: ['2026-03-02', '2026-03-03', '2026-03-04'],
        functional: [76.92, 100, 50],
        sanity: [null, 66.67, null],
        regression: [null, null, null],
        perf_smoke: [null, null, null],
      });
      const authn = await computeAndCompare(
        analytics,
        h,
        { serviceId: 'authn', clusterId: 'mira-us-west-2' },
        query,
      );
      expect(authn.testPassRates.functional).toEqual([76.92, null, null]);
      const billing = await computeAndCompare(
        analytics,
        h,
        { serviceId: 'billing' },
        query,
      );
      expect(Object.keys(billing.testPassRates).sort()).toEqual([
        'functional',
        'labels',
        'regression',
        'sanity',
      ]);
    });

    it('keeps the labels and every suite whatever the suite is called', async () => {
      const h = new History();
      for (const suiteType of ['LABELS', 'CONSTRUCTOR', 'TOSTRING']) {
        h.testRun({
          link: { serviceId: 'authn', clusterId: 'mira-us-west-2' },
          suiteType,
          passed: 1,
          total: 2,
          executedAt: Date.parse('2026-03-03T12:00:00.000Z'),
        });
      }
      const analytics = await load(databaseId, h.events);
      const r = await computeAndCompare(
        analytics,
        h,
        {},
        {
          from: '2026-03-02',
          to: '2026-03-03',
          bucket: 'day',
        },
      );
      expect(r.testPassRates.labels).toEqual(['2026-03-02', '2026-03-03']);
      expect(Object.keys(r.testPassRates).sort()).toEqual([
        'constructor',
        'functional',
        'labels',
        'regression',
        'sanity',
        'tostring',
      ]);
      expect(r.testPassRates.constructor).toEqual([null, 50]);
      expect(Object.keys(Object)).toEqual([]);
    });

    it('restores a failure only with a success that ended after it', async () => {
      const h = new History();
      const at = (hhmm: string) => `2026-03-03T${hhmm}:00.000Z`;
      h.deploy('authn', 'mira-us-west-2', 'FAILED', at('09:00'), at('10:00'));
      h.deploy('authn', 'mira-us-west-2', 'SUCCESS', at('10:00'), at('10:30'));
      // Ends at the same instant as the success: a run of its own.
      h.deploy('authn', 'mira-us-west-2', 'ROLLBACK', at('10:20'), at('10:30'));
      h.deploy('authn', 'mira-us-west-2', 'LIVE', at('10:40'), at('11:30'));
      const analytics = await load(databaseId, delivery(h.events, 5));
      const r = await computeAndCompare(
        analytics,
        h,
        {},
        { from: '2026-03-03', to: '2026-03-03', bucket: 'day' },
      );
      // 30 and 60 minutes.
      expect(r.dora.samples.failedDeploymentRecoveryTime).toEqual({
        n: 2,
        unrecovered: 0,
      });
      expect(r.dora.timeToRestoreMin.p50).toBe(45);
    });

    it('rates each figure at its tier thresholds', async () => {
      const h = new History();
      // authn: 9 deploys in 9 days (1 a day, elite), each 1 day from commit
      // to end (not under a day: high); 1 failure in 10 finished attempts
      // (10 %: high), restored in exactly 1 hour (high).
      for (let d = 0; d < 8; d++) {
        const end = BASE + d * DAY_MS + 9 * 3_600_000;
        h.attempt({
          serviceId: 'authn',
          clusterId: 'mira-us-west-2',
          status: 'SUCCESS',
          startedAt: end - 30 * MINUTE_MS,
          endedAt: end,
          commitAt: end - DAY_MS,
        });
      }
      const failedAt = Date.parse('2026-03-05T12:00:00.000Z');
      h.attempt({
        serviceId: 'authn',
        clusterId: 'pavo-us-east-1',
        status: 'FAILED',
        startedAt: failedAt - 10 * MINUTE_MS,
        endedAt: failedAt,
      });
      h.attempt({
        serviceId: 'authn',
        clusterId: 'pavo-us-east-1',
        status: 'LIVE',
        startedAt: failedAt + 30 * MINUTE_MS,
        endedAt: failedAt + 60 * MINUTE_MS,
        commitAt: failedAt + 60 * MINUTE_MS - DAY_MS,
      });
      // billing: 1 failure in 20 finished attempts (5 %: elite).
      for (let i = 0; i < 20; i++) {
        const start = BASE + DAY_MS + i * 60 * MINUTE_MS;
        h.attempt({
          serviceId: 'billing',
          clusterId: 'pavo-us-east-1',
          status: i === 0 ? 'ROLLBACK' : 'SUCCESS',
          startedAt: start,
          endedAt: start + 10 * MINUTE_MS,
        });
      }
      const analytics = await load(databaseId, h.events);
      const query: Query = {
        from: '2026-03-02',
        to: '2026-03-10',
        bucket: 'week',
      };
      const authn = await computeAndCompare(
        analytics,
        h,
        { serviceId: 'authn' },
        query,
      );
      expect(authn.dora).toMatchObject({
        deploymentFrequencyPerDay: 1,
        leadTimeMin: { p50: 1440, p90: 1440 },
        changeFailureRate: 0.1,
        timeToRestoreMin: { p50: 60 },
        tier: 'high',
        tiers: {
          deploymentFrequency: 'elite',
          leadTime: 'high',
          changeFailureRate: 'high',
          failedDeploymentRecoveryTime: 'high',
        },
      });
      const billing = await computeAndCompare(
        analytics,
        h,
        { serviceId: 'billing' },
        query,
      );
      expect(billing.dora.changeFailureRate).toBe(0.05);
      expect(billing.dora.tiers.changeFailureRate).toBe('elite');
      const all = await computeAndCompare(analytics, h, {}, query);
      expect(all.dora.samples.changeFailureRate).toEqual({
        failures: 2,
        finished: 30,
      });
    });

    it('rates the tiers on the exact figures, not on the rounded ones', async () => {
      // One deploy in 7 days and 1 second: 0.142857 per day, shown as
      // 0.1429 but below once a week.
      const h = new History();
      h.deploy(
        'authn',
        'mira-us-west-2',
        'SUCCESS',
        '2026-03-03T09:00:00.000Z',
        '2026-03-03T09:30:00.000Z',
      );
      const analytics = await load(databaseId, h.events);
      const r = await computeAndCompare(
        analytics,
        h,
        {},
        {
          from: '2026-03-02T00:00:00.000Z',
          to: '2026-03-09T00:00:01.000Z',
          bucket: 'day',
        },
      );
      expect(r.dora.deploymentFrequencyPerDay).toBe(0.1429);
      expect(r.dora.tiers.deploymentFrequency).toBe('medium');

      // 51 failures in 1019 finished attempts: 5.0049 %, shown as 0.05.
      const busy = new History();
      for (let i = 0; i < 1019; i++) {
        const start = BASE + DAY_MS + i * MINUTE_MS;
        busy.attempt({
          serviceId: 'authn',
          clusterId: 'mira-us-west-2',
          status: i % 20 === 0 ? 'FAILED' : 'SUCCESS',
          startedAt: start,
          endedAt: start + 30_000,
        });
      }
      expect(busy.attempts.filter(isFailure)).toHaveLength(51);
      // Written as the store writes them, straight into its table: a thousand
      // events through ingest() take seconds on PostgreSQL.
      const { knex } = await createTestStore(databases, databaseId);
      await knex.batchInsert(
        'dq_attempts',
        busy.attempts.map(a => ({
          id: a.id,
          cluster_id: a.clusterId,
          service_id: a.serviceId,
          build_version: a.buildVersion,
          git_sha: 'abc1234',
          started_at: a.startedAt,
          ended_at: a.endedAt,
          status: a.status,
          trigger: 'merge',
          source: 'test',
          commit_at: a.commitAt,
        })),
        200,
      );
      // A bulk load bypasses the rollups: clear their marker and rebuild,
      // as the store's start does.
      await knex('dq_derived').delete();
      await ensureRollups(knex);
      const cfr = await computeAndCompare(
        new KnexAnalytics(knex),
        busy,
        {},
        {
          from: '2026-03-02',
          to: '2026-03-08',
          bucket: 'week',
        },
      );
      expect(cfr.dora.changeFailureRate).toBe(0.05);
      expect(cfr.dora.tiers.changeFailureRate).toBe('high');
    });

    it('reads the same figures against the 2023 and the 2024 clusters', async () => {
      // authn: 3 failures in 20 finished attempts (15 %), one run on
      // cluster-0 restored four days after it began: 2023 rates them medium
      // and medium; 2024 high (Medium's 10 % is already High) and low (from
      // one day on).
      const h = new History();
      for (let i = 0; i < 20; i++) {
        const end = BASE + i * 8 * 60 * MINUTE_MS;
        h.attempt({
          serviceId: 'authn',
          clusterId: `cluster-${i % 4}`,
          status: i % 4 === 0 && i < 12 ? 'FAILED' : 'SUCCESS',
          startedAt: end - 10 * MINUTE_MS,
          endedAt: end,
        });
      }
      const analytics = await load(databaseId, delivery(h.events, 3));
      const query: Query = {
        from: '2026-03-02',
        to: '2026-03-15',
        bucket: 'week',
      };
      const y2023 = await computeAndCompare(analytics, h, {}, query, {
        benchmark: '2023',
      });
      const y2024 = await computeAndCompare(analytics, h, {}, query, {
        benchmark: '2024',
      });
      expect(y2023.dora.changeFailureRate).toBe(0.15);
      expect(y2023.dora.benchmark.year).toBe('2023');
      expect(y2024.dora.benchmark.year).toBe('2024');
      expect(y2023.dora.tiers.changeFailureRate).toBe('medium');
      expect(y2024.dora.tiers.changeFailureRate).toBe('high');
      expect(y2023.dora.failedDeploymentRecoveryTimeMin.p50).toBe(4 * 24 * 60);
      expect(y2023.dora.tiers.failedDeploymentRecoveryTime).toBe('medium');
      expect(y2024.dora.tiers.failedDeploymentRecoveryTime).toBe('low');
      expect(y2024.dora.profile.throughput.tier).toBe('low');
      expect(y2024.dora.profile.instability.tier).toBe('high');
      // The figures themselves don't depend on the benchmark.
      const {
        benchmark: b1,
        tier: t1,
        tiers: s1,
        profile: p1,
        ...f23
      } = y2023.dora;
      const {
        benchmark: b2,
        tier: t2,
        tiers: s2,
        profile: p2,
        ...f24
      } = y2024.dora;
      expect(f23).toEqual(f24);
    });

    it('counts rework: rollbacks, hotfixes and what replaces a failure within the window', async () => {
      const h = new History();
      const at = (day: number, hhmm: string) =>
        `2026-03-0${day}T${hhmm}:00.000Z`;
      const c = 'mira-us-west-2';
      // A planned deploy, then a failure replaced 2 hours later: rework.
      h.deploy('authn', c, 'SUCCESS', at(3, '08:00'), at(3, '08:30'));
      h.deploy('authn', c, 'FAILED', at(3, '09:00'), at(3, '09:30'));
      h.deploy('authn', c, 'SUCCESS', at(3, '11:00'), at(3, '11:30'));
      // The next one follows a success: planned.
      h.deploy('authn', c, 'SUCCESS', at(3, '12:00'), at(3, '12:30'));
      // A failure, then a retry that fails too (rework), then a fix two days
      // later: outside the 1-day window, planned again.
      h.deploy('authn', c, 'FAILED', at(4, '09:00'), at(4, '09:10'));
      h.deploy('authn', c, 'FAILED', at(4, '09:20'), at(4, '09:30'));
      h.deploy('authn', c, 'LIVE', at(6, '09:00'), at(6, '10:00'));
      // A hotfix and a rollback trigger are rework whatever came before;
      // another service's failure doesn't make billing's deploy rework.
      h.deploy('billing', c, 'SUCCESS', at(5, '08:00'), at(5, '08:30'), {
        trigger: 'hotfix',
      });
      h.deploy('billing', c, 'SUCCESS', at(5, '09:00'), at(5, '09:30'), {
        trigger: 'rollback',
      });
      h.deploy('search', c, 'FAILED', at(5, '09:40'), at(5, '09:45'));
      h.deploy('billing', c, 'SUCCESS', at(5, '10:00'), at(5, '10:30'));
      // The same pair on another cluster-region is another pair.
      h.deploy(
        'authn',
        'pavo-us-east-1',
        'SUCCESS',
        at(4, '10:00'),
        at(4, '10:05'),
      );
      const analytics = await load(databaseId, delivery(h.events, 9));
      const query: Query = {
        from: '2026-03-02',
        to: '2026-03-08',
        bucket: 'day',
      };
      const all = await computeAndCompare(analytics, h, {}, query);
      expect(all.dora.samples.deploymentReworkRate).toEqual({
        rework: 4,
        finished: 12,
        reworkWindowMinutes: 1440,
      });
      expect(all.dora.deploymentReworkRate).toBe(0.3333);
      const authn = await computeAndCompare(
        analytics,
        h,
        { serviceId: 'authn', clusterId: c },
        query,
      );
      expect(authn.dora.samples.deploymentReworkRate.rework).toBe(2);

      // A window of three days makes the fix two days later rework.
      const wide = await load(databaseId, h.events, undefined, 3 * 1440);
      const wider = await computeAndCompare(wide, h, {}, query, {
        reworkWindowMin: 3 * 1440,
      });
      expect(wider.dora.samples.deploymentReworkRate.rework).toBe(5);

      // A window starting after the failure still sees it.
      const later = await computeAndCompare(
        analytics,
        h,
        {},
        {
          from: '2026-03-03T10:00:00.000Z',
          to: '2026-03-03T12:00:00.000Z',
          bucket: 'day',
        },
      );
      expect(later.dora.samples.deploymentReworkRate).toMatchObject({
        rework: 1,
        finished: 1,
      });
    });
  },
);
