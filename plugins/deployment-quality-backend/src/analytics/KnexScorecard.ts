import { Knex } from 'knex';
import { ScorecardInputs, emptyInputs } from './scoring';
import {
  DEPLOYED,
  FAILED,
  LEAD_TIME_SQL,
  deploysIn,
  failureRuns,
  medianByService,
  minutes,
  round,
  scoped,
  AnalyticsScope,
} from './sql';
import { AnalyticsWindow } from './window';
import { RollupRefresher } from '../database/rollups';
import { visibilityKey } from '../visibility/Visibility';
import { FiguresCache } from './FiguresCache';

type Row = Record<string, any>;

/**
 * Each service's scorecard inputs over a window, in a handful of grouped
 * queries (medians through window functions), whatever the number of
 * services.
 */
export class KnexScorecard {
  private readonly rollups: RollupRefresher;
  private readonly cache: FiguresCache<Map<string, ScorecardInputs>>;

  constructor(
    private readonly db: Knex,
    options: {
      rollups?: RollupRefresher;
      cacheEntries?: number;
      /** How old the inputs may be served (see FiguresCache). */
      maxStaleMs?: number;
    } = {},
  ) {
    this.rollups = options.rollups ?? new RollupRefresher(db);
    this.cache = new FiguresCache({
      maxEntries: options.cacheEntries ?? 0,
      maxStaleMs: options.maxStaleMs ?? 0,
    });
  }

  /**
   * Each service's inputs in the scope. Every service's at once is fleet
   * work: served up to `maxStaleMs` old while fresher ones are computed.
   */
  inputs(
    w: AnalyticsWindow,
    scope: Pick<AnalyticsScope, 'visibility' | 'serviceIds'>,
  ): Promise<Map<string, ScorecardInputs>> {
    const key = JSON.stringify([
      scope.serviceIds,
      visibilityKey(scope.visibility),
      w.from,
      w.to,
    ]);
    return this.cache.get(
      key,
      () => this.rollups.settle(),
      () => this.compute(w, scope),
      true,
    );
  }

  private async compute(
    w: AnalyticsWindow,
    scope: Pick<AnalyticsScope, 'visibility' | 'serviceIds'>,
  ): Promise<Map<string, ScorecardInputs>> {
    const db = this.db;
    const [finishedRows, testRows, leadMedians, recoveryRows] =
      await Promise.all([
        scoped(db, 'dq_attempts', scope)
          .whereNot('status', 'IN_PROGRESS')
          .where('ended_at', '>=', w.from)
          .where('ended_at', '<', w.to)
          .select('service_id', 'status')
          .count({ n: '*' })
          .groupBy('service_id', 'status') as Promise<Row[]>,
        scoped(db, 'dq_test_runs', scope)
          .whereNotNull('service_id')
          .where('executed_at', '>=', w.from)
          .where('executed_at', '<', w.to)
          .select('service_id')
          .sum({ passed: 'passed', total: 'total' })
          .count({ runs: '*' })
          .groupBy('service_id') as Promise<Row[]>,
        medianByService(db, deploysIn(db, scope, w), LEAD_TIME_SQL),
        db
          .from(failureRuns(db, scope, w).as('runs'))
          .select('service_id')
          .count({ recovered: 'next_ok' })
          .groupBy('service_id') as Promise<Row[]>,
      ]);
    const recoveryMedians = await medianByService(
      db,
      db.from(failureRuns(db, scope, w).as('runs')).whereNotNull('next_ok'),
      'next_ok - first_fail',
    );

    const out = new Map<string, ScorecardInputs>();
    const entry = (serviceId: string) => {
      let e = out.get(serviceId);
      if (!e) {
        e = emptyInputs();
        out.set(serviceId, e);
      }
      return e;
    };
    const failures = new Map<string, number>();
    for (const r of finishedRows) {
      const e = entry(r.service_id);
      const n = Number(r.n);
      e.finished += n;
      if (DEPLOYED.includes(r.status)) e.deploys += n;
      if (FAILED.includes(r.status)) {
        failures.set(r.service_id, (failures.get(r.service_id) ?? 0) + n);
      }
    }
    for (const [serviceId, e] of out) {
      if (e.finished > 0) {
        e.deploySuccessRate = round(e.deploys / e.finished, 4);
        e.changeFailureRate = round(
          (failures.get(serviceId) ?? 0) / e.finished,
          4,
        );
      }
    }
    for (const r of testRows) {
      const e = entry(r.service_id);
      e.testRuns = Number(r.runs);
      const total = Number(r.total);
      e.gatePassRate =
        total > 0 ? round((Number(r.passed) / total) * 100, 2) : null;
    }
    for (const [serviceId, ms] of leadMedians) {
      entry(serviceId).leadTimeP50Min = minutes(ms);
    }
    for (const r of recoveryRows) {
      entry(r.service_id).recoveries = Number(r.recovered);
    }
    for (const [serviceId, ms] of recoveryMedians) {
      const e = entry(serviceId);
      e.failedDeploymentRecoveryTimeP50Min = minutes(ms);
      e.timeToRestoreP50Min = e.failedDeploymentRecoveryTimeP50Min;
    }
    return out;
  }
}
