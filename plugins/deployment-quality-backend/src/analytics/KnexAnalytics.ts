import {
  AnalyticsResponse,
  DEFAULT_DORA_BENCHMARK,
  DoraBenchmarkYear,
  DoraFigures,
  ExactDoraFigures,
  KNOWN_SUITES,
  doraRating,
} from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { RollupRefresher } from '../database/rollups';
import {
  AnalyticsScope,
  DEPLOYED,
  FAILED,
  LEAD_TIME_SQL,
  MINUTE_MS,
  deploysIn,
  failureRuns,
  minutes,
  percentiles,
  round,
  scoped,
  scopedAttempts,
} from './sql';
import { AnalyticsWindow, DAY_MS } from './window';
import { visibilityKey } from '../visibility/Visibility';
import { FiguresCache } from './FiguresCache';

export type { AnalyticsScope } from './sql';

type Row = Record<string, any>;
type Figures = Omit<
  AnalyticsResponse,
  'filter' | 'definitions' | 'clusterValidationPassRates'
>;
type Rating = 'benchmark' | 'tier' | 'tiers' | 'profile';
/** What the cache keeps: the figures before any benchmark rates them. */
type Unrated = Omit<Figures, 'dora'> & {
  dora: Omit<DoraFigures, Rating>;
  exact: ExactDoraFigures;
};

/** Triggers that make a deployment rework whatever came before it. */
const REWORK_TRIGGERS = ['rollback', 'hotfix'];
const DEFAULT_REWORK_WINDOW_MIN = 24 * 60;

/**
 * Delivery analytics and DORA figures, computed by the database: every
 * figure is an aggregate query over the indexed tables (counts and sums
 * grouped by bucket; percentiles read as one or two rows at an offset of
 * the ordered values), so nothing proportional to the history is loaded
 * into memory. Definitions: ANALYTICS_DEFINITIONS in -common.
 *
 * The figures of a window depend only on the stored rows, so with
 * `cacheEntries` they are kept per (scope, window) until the rollups'
 * generation moves, that is, until a write changes any of them (see
 * RollupRefresher), and fleet-wide ones up to `maxStaleMs` longer (see
 * FiguresCache). A window ending "now" moves with the clock and is never
 * met twice; the views ask for whole days.
 */
export class KnexAnalytics {
  private readonly rollups: RollupRefresher;
  private readonly cache: FiguresCache<Unrated>;
  private readonly reworkWindowMin: number;

  constructor(
    private readonly db: Knex,
    options: {
      rollups?: RollupRefresher;
      cacheEntries?: number;
      /** How old fleet-wide figures may be served (see FiguresCache). */
      maxStaleMs?: number;
      /** How soon after a failure a deployment of the pair is rework. */
      reworkWindowMinutes?: number;
    } = {},
  ) {
    this.reworkWindowMin =
      options.reworkWindowMinutes ?? DEFAULT_REWORK_WINDOW_MIN;
    this.rollups = options.rollups ?? new RollupRefresher(db);
    this.cache = new FiguresCache({
      maxEntries: options.cacheEntries ?? 0,
      maxStaleMs: options.maxStaleMs ?? 0,
    });
  }

  /** The figures of a window, their tiers read against `benchmark`. */
  async compute(
    scope: AnalyticsScope,
    w: AnalyticsWindow,
    benchmark: DoraBenchmarkYear = DEFAULT_DORA_BENCHMARK,
  ): Promise<Figures> {
    const { exact, dora, ...rest } = await this.unrated(scope, w);
    return { ...rest, dora: { ...dora, ...doraRating(exact, benchmark) } };
  }

  private unrated(scope: AnalyticsScope, w: AnalyticsWindow): Promise<Unrated> {
    const key = JSON.stringify([
      scope.serviceId,
      scope.serviceIds,
      scope.clusterId,
      visibilityKey(scope.visibility),
      w.from,
      w.to,
      w.bucket,
    ]);
    return this.cache.get(
      key,
      () => this.rollups.settle(),
      () => this.figures(scope, w),
      scope.serviceId === undefined,
    );
  }

  private async figures(
    scope: AnalyticsScope,
    w: AnalyticsWindow,
  ): Promise<Unrated> {
    const ended = await this.endedCounts(scope, w);
    const [buildAttempts, testPassRates, { dora, exact }] = await Promise.all([
      this.buildAttempts(scope, w),
      this.testPassRates(scope, w),
      this.dora(scope, w, ended),
    ]);
    const deployFrequency = this.deployFrequency(w, ended);
    return { buildAttempts, deployFrequency, testPassRates, dora, exact };
  }

  /**
   * Counts over a window, from the daily rollups for its whole UTC days and
   * from the rows themselves for the partial days at its edges (a window
   * ending now, or given as timestamps). `rollup(first, end)` and
   * `raw(from, to)` each answer rows with the bucket index `b`.
   */
  private async daysAndEdges(
    w: AnalyticsWindow,
    rollup: (firstDay: number, endDay: number) => Promise<Row[]>,
    raw: (from: number, to: number) => Promise<Row[]>,
  ): Promise<Row[]> {
    const firstDay = Math.ceil(w.from / DAY_MS);
    const endDay = Math.floor(w.to / DAY_MS);
    if (firstDay >= endDay) return raw(w.from, w.to);
    const parts = [rollup(firstDay, endDay)];
    if (w.from < firstDay * DAY_MS) parts.push(raw(w.from, firstDay * DAY_MS));
    if (endDay * DAY_MS < w.to) parts.push(raw(endDay * DAY_MS, w.to));
    return (await Promise.all(parts)).flat();
  }

  /** The bucket index of a rollup row's day. */
  private dayBucket(w: AnalyticsWindow) {
    return this.db.raw('cast((cast(day as bigint) * ? - ?) / ? as integer)', [
      DAY_MS,
      w.origin,
      w.size,
    ]);
  }

  /** Rollup rows of one kind, in the scope, for days [firstDay, endDay). */
  private attemptDays(
    kind: 's' | 'e',
    scope: AnalyticsScope,
    w: AnalyticsWindow,
    firstDay: number,
    endDay: number,
  ) {
    return scoped(this.db, 'dq_attempt_days', scope)
      .where('kind', kind)
      .where('day', '>=', firstDay)
      .where('day', '<', endDay)
      .select({ b: this.dayBucket(w) }, 'status')
      .sum({ n: 'n', lead: 'lead_sum' })
      .groupBy('b', 'status');
  }

  /** Finished attempts by bucket of endedAt and status, with lead-time sums. */
  private endedCounts(scope: AnalyticsScope, w: AnalyticsWindow) {
    return this.daysAndEdges(
      w,
      (first, end) => this.attemptDays('e', scope, w, first, end),
      (from, to) =>
        scopedAttempts(this.db, scope)
          .whereNot('status', 'IN_PROGRESS')
          .where('ended_at', '>=', from)
          .where('ended_at', '<', to)
          .select({ b: this.bucket('ended_at', w) }, 'status')
          .count({ n: '*' })
          .sum({ lead: this.db.raw(LEAD_TIME_SQL) })
          .groupBy('b', 'status'),
    );
  }

  /**
   * The bucket index. The cast matters on SQLite, where bound numbers are
   * REAL and the division would otherwise not truncate.
   */
  private bucket(column: string, w: AnalyticsWindow) {
    return this.db.raw(`cast((${column} - ?) / ? as integer)`, [
      w.origin,
      w.size,
    ]);
  }

  private zeros(w: AnalyticsWindow): number[] {
    return w.labels.map(() => 0);
  }

  private async buildAttempts(scope: AnalyticsScope, w: AnalyticsWindow) {
    const rows = await this.daysAndEdges(
      w,
      (first, end) => this.attemptDays('s', scope, w, first, end),
      (from, to) =>
        scopedAttempts(this.db, scope)
          .where('started_at', '>=', from)
          .where('started_at', '<', to)
          .select({ b: this.bucket('started_at', w) }, 'status')
          .count({ n: '*' })
          .groupBy('b', 'status'),
    );
    const out = {
      labels: w.labels,
      success: this.zeros(w),
      failed: this.zeros(w),
      rollback: this.zeros(w),
    };
    for (const r of rows) {
      const i = Number(r.b);
      const n = Number(r.n);
      if (DEPLOYED.includes(r.status)) out.success[i] += n;
      else if (r.status === 'FAILED') out.failed[i] += n;
      else if (r.status === 'ROLLBACK') out.rollback[i] += n;
    }
    return out;
  }

  private deployFrequency(w: AnalyticsWindow, ended: Row[]) {
    const deploys = this.zeros(w);
    const lead = this.zeros(w);
    for (const r of ended) {
      if (!DEPLOYED.includes(r.status)) continue;
      deploys[Number(r.b)] += Number(r.n);
      lead[Number(r.b)] += Number(r.lead);
    }
    const avgLeadTimeMin = deploys.map((n, i) =>
      n > 0 ? minutes(lead[i] / n) : null,
    );
    return { labels: w.labels, deploys, avgLeadTimeMin };
  }

  private async testPassRates(
    scope: AnalyticsScope,
    w: AnalyticsWindow,
  ): Promise<AnalyticsResponse['testPassRates']> {
    const rows = await this.daysAndEdges(
      w,
      (first, end) =>
        scoped(this.db, 'dq_test_days', scope)
          .where('day', '>=', first)
          .where('day', '<', end)
          .select({ b: this.dayBucket(w) }, 'suite_type')
          .sum({ passed: 'passed', total: 'total' })
          .groupBy('b', 'suite_type'),
      (from, to) =>
        scoped(this.db, 'dq_test_runs', scope)
          .where('executed_at', '>=', from)
          .where('executed_at', '<', to)
          .select({ b: this.bucket('executed_at', w) }, 'suite_type')
          .sum({ passed: 'passed', total: 'total' })
          .groupBy('b', 'suite_type'),
    );
    // Sums per (suite, bucket) first: a bucket may come from a rollup and
    // an edge.
    const sums = new Map<string, { passed: number; total: number }>();
    for (const r of rows) {
      const key = `${String(r.suite_type).toLowerCase()}\u0000${r.b}`;
      const sum = sums.get(key) ?? { passed: 0, total: 0 };
      sum.passed += Number(r.passed);
      sum.total += Number(r.total);
      sums.set(key, sum);
    }
    // No prototype: a suite called CONSTRUCTOR must get a series of its own,
    // not write into Object.
    const rates: Record<string, (number | null)[]> = Object.create(null);
    const series = (suite: string) =>
      (rates[suite] ??= w.labels.map(() => null));
    KNOWN_SUITES.forEach(s => series(s.toLowerCase()));
    for (const [key, { passed, total }] of sums) {
      const [suite, b] = key.split('\u0000');
      series(suite)[Number(b)] =
        total > 0 ? round((passed / total) * 100, 2) : null;
    }
    // The labels last: a suite called LABELS can't replace them.
    return {
      ...rates,
      labels: w.labels,
      functional: rates.functional,
      sanity: rates.sanity,
      regression: rates.regression,
    };
  }

  private async dora(
    scope: AnalyticsScope,
    w: AnalyticsWindow,
    ended: Row[],
  ): Promise<Pick<Unrated, 'dora' | 'exact'>> {
    const byStatus = (statuses: string[]) =>
      ended
        .filter(r => statuses.includes(r.status))
        .reduce((n, r) => n + Number(r.n), 0);
    const deploys = byStatus(DEPLOYED);
    const failures = byStatus(FAILED);
    const finished = deploys + failures;

    const leadTimes = deploysIn(this.db, scope, w).select({
      v: this.db.raw(LEAD_TIME_SQL),
    });
    const [lead, recovery, rework] = await Promise.all([
      deploys > 0 ? percentiles(this.db, leadTimes, [50, 90]) : undefined,
      this.recovery(scope, w),
      finished > 0 ? this.rework(scope, w) : 0,
    ]);
    const [leadP50, leadP90] = lead?.values ?? [null, null];
    const days = (w.to - w.from) / DAY_MS;
    const recoveryMin = {
      p50: recovery.p50 === null ? null : minutes(recovery.p50),
    };
    return {
      dora: {
        deploymentFrequencyPerDay: round(deploys / days, 4),
        leadTimeMin: {
          p50: leadP50 === null ? null : minutes(leadP50),
          p90: leadP90 === null ? null : minutes(leadP90),
        },
        changeFailureRate: finished > 0 ? round(failures / finished, 4) : null,
        deploymentReworkRate: finished > 0 ? round(rework / finished, 4) : null,
        failedDeploymentRecoveryTimeMin: recoveryMin,
        timeToRestoreMin: recoveryMin,
        samples: {
          deploymentFrequency: { deploys, days: round(days, 4) },
          leadTime: { n: deploys },
          changeFailureRate: { failures, finished },
          failedDeploymentRecoveryTime: {
            n: recovery.n,
            unrecovered: recovery.unrecovered,
          },
          deploymentReworkRate: {
            rework,
            finished,
            reworkWindowMinutes: this.reworkWindowMin,
          },
        },
      },
      // Tiers from the exact figures, like lead and recovery time: rounding
      // is for display and must not lift a figure over a threshold.
      exact: {
        // With no finished attempt at all there is nothing to rate.
        deploymentFrequencyPerDay: finished > 0 ? deploys / days : null,
        leadTimeP50Min: leadP50 === null ? null : leadP50 / MINUTE_MS,
        changeFailureRate: finished > 0 ? failures / finished : null,
        recoveryP50Min: recovery.p50 === null ? null : recovery.p50 / MINUTE_MS,
      },
    };
  }

  /**
   * Rework attempts that ended in the window (see ANALYTICS_DEFINITIONS
   * .deploymentReworkRate): one ordered pass per pair over the attempts that
   * ended from one rework window before it, each seeing the latest failure
   * and the latest deploy of its pair that ended strictly before it.
   */
  private async rework(scope: AnalyticsScope, w: AnalyticsWindow) {
    const db = this.db;
    const windowMs = this.reworkWindowMin * MINUTE_MS;
    const list = (statuses: string[]) => statuses.map(v => `'${v}'`).join(', ');
    const latest = (statuses: string[]) =>
      `max(case when status in (${list(statuses)}) then ended_at end) over (
         partition by cluster_id, service_id order by ended_at
         range between unbounded preceding and 1 preceding)`;
    const finished = scopedAttempts(db, scope)
      .whereIn('status', [...DEPLOYED, ...FAILED])
      .where('ended_at', '>=', w.from - windowMs)
      .where('ended_at', '<', w.to)
      .select(
        'ended_at',
        'trigger',
        db.raw(`${latest(FAILED)} as last_fail`),
        db.raw(`${latest(DEPLOYED)} as last_ok`),
      );
    const [row] = await db
      .from(finished.as('finished'))
      .where('ended_at', '>=', w.from)
      .where(q =>
        q.whereIn('trigger', REWORK_TRIGGERS).orWhere(replaces =>
          replaces
            .whereNotNull('last_fail')
            .whereRaw('ended_at - last_fail <= ?', [windowMs])
            .where(ok =>
              ok.whereNull('last_ok').orWhereRaw('last_ok <= last_fail'),
            ),
        ),
      )
      .count({ n: '*' });
    return Number(row?.n ?? 0);
  }

  /** Failure runs (see failureRuns) and the p50 of their recovery time. */
  private async recovery(scope: AnalyticsScope, w: AnalyticsWindow) {
    const db = this.db;
    const runs = db
      .from(failureRuns(db, scope, w).as('runs'))
      .select({ v: db.raw('next_ok - first_fail') });
    const { n, total, values } = await percentiles(db, runs, [50]);
    return { n, unrecovered: total - n, p50: values[0] };
  }
}
