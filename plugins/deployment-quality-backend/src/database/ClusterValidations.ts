import {
  ClusterTestResultPayload,
  ClusterValidationRun,
  ClusterValidationsResponse,
} from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { INSERT_ROWS, chunks } from './chunks';
import { advanceLatest, recentRowsPerKey } from './latestRows';

type Row = Record<string, any>;

/** Suites one cluster page shows: the most recently run. */
export const MAX_VALIDATION_SUITES = 50;
/** Runs of each suite in its pass-rate strip. */
export const VALIDATION_HISTORY = 30;

/** A received cluster test result: `executedAt` is always set. */
export type ClusterTestResult = ClusterTestResultPayload & {
  executedAt: string;
};

/**
 * Stores cluster test results (each event once: the caller's event log
 * tells which are new) and moves each (cluster, suite)'s latest run forward
 * when a newer one arrives, whatever the arrival order.
 */
export async function writeClusterTestResults(
  tx: Knex.Transaction,
  events: Array<{ eventId: string; payload: ClusterTestResult }>,
): Promise<void> {
  if (events.length === 0) return;
  const inserted: Row[] = [];
  for (const chunk of chunks(events, INSERT_ROWS)) {
    inserted.push(
      ...(await tx('dq_cluster_test_runs')
        .insert(
          chunk.map(({ eventId, payload: p }) => ({
            event_id: eventId,
            cluster_id: p.clusterId,
            suite: p.suite,
            total: p.total,
            passed: p.passed,
            failed: p.failed,
            skipped: p.skipped,
            duration_sec: p.durationSec,
            executed_at: Date.parse(p.executedAt),
            report_url: p.reportUrl ?? null,
            labels: p.labels ? JSON.stringify(p.labels) : null,
          })),
        )
        .returning(['id', 'cluster_id', 'suite', 'executed_at', 'failed'])),
    );
  }
  await advanceLatest(
    tx,
    'dq_cluster_validation_latest',
    { key: ['cluster_id', 'suite'], time: 'executed_at' },
    inserted.map(r => ({
      cluster_id: r.cluster_id,
      suite: r.suite,
      row_id: r.id,
      executed_at: r.executed_at,
      failed: r.failed,
    })),
  );
}

function runOf(r: Row): ClusterValidationRun {
  const total = Number(r.total);
  const passed = Number(r.passed);
  const failed = Number(r.failed);
  return {
    suite: r.suite,
    total,
    passed,
    failed,
    skipped: Number(r.skipped),
    durationSec: Number(r.duration_sec),
    executedAt: new Date(Number(r.executed_at)).toISOString(),
    ...(r.report_url ? { reportUrl: r.report_url } : {}),
    labels: r.labels ? JSON.parse(r.labels) : {},
    passRate: total > 0 ? Math.round((passed / total) * 10_000) / 100 : null,
    ok: failed === 0,
  };
}

/** Reads of the cluster validations. */
export class ClusterValidations {
  constructor(private readonly db: Knex) {}

  /**
   * A cluster's most recently run suites (at most MAX_VALIDATION_SUITES),
   * failing ones first, each with its latest run and its last
   * VALIDATION_HISTORY runs oldest first.
   */
  async forCluster(clusterId: string): Promise<ClusterValidationsResponse> {
    const bySuite = await recentRowsPerKey(this.db, {
      history: 'dq_cluster_test_runs',
      latest: 'dq_cluster_validation_latest',
      owner: { column: 'cluster_id', value: clusterId },
      key: 'suite',
      time: 'executed_at',
      maxKeys: MAX_VALIDATION_SUITES,
      perKey: VALIDATION_HISTORY,
    });
    return {
      clusterId,
      suites: [...bySuite.values()]
        .map(rows => rows.map(runOf))
        .map(runs => ({
          suite: runs[0].suite,
          latest: runs[runs.length - 1],
          recent: runs.map(r => ({
            executedAt: r.executedAt,
            passRate: r.passRate,
            ok: r.ok,
          })),
        }))
        .sort(
          (a, b) =>
            Number(a.latest.ok) - Number(b.latest.ok) ||
            (a.suite < b.suite ? -1 : Number(a.suite > b.suite)),
        ),
    };
  }

  /**
   * Pass rate (Σpassed / Σtotal × 100) per suite per bucket of the window,
   * of one cluster-region's validation runs or of every one's; at most
   * MAX_VALIDATION_SUITES suites, by name.
   */
  async passRates(
    clusterId: string | undefined,
    window: { from: number; to: number; origin: number; size: number },
    buckets: number,
  ): Promise<Record<string, Array<number | null>>> {
    // Whole numbers written into the SQL: bound, better-sqlite3 passes them
    // as reals (and the division would not truncate), and PostgreSQL would
    // see the select's and the group's expressions as two.
    const [origin, size] = [window.origin, window.size].map(n => {
      if (!Number.isSafeInteger(n)) throw new Error(`not a whole ms: ${n}`);
      return n;
    });
    const bucket = this.db.raw(`(executed_at - ${origin}) / ${size}`);
    const rows: Row[] = await this.db('dq_cluster_test_runs')
      .select('suite', { bucket })
      .sum({ passed: 'passed', total: 'total' })
      .where('executed_at', '>=', window.from)
      .where('executed_at', '<', window.to)
      .modify(q => {
        if (clusterId) q.where('cluster_id', clusterId);
      })
      .groupBy('suite', bucket);
    const suites: Record<string, Array<number | null>> = {};
    const names = [...new Set(rows.map(r => String(r.suite)))]
      .sort()
      .slice(0, MAX_VALIDATION_SUITES);
    for (const name of names) suites[name] = Array(buckets).fill(null);
    for (const r of rows) {
      const rates = suites[r.suite];
      const total = Number(r.total);
      if (!rates || total === 0) continue;
      rates[Number(r.bucket)] =
        Math.round((Number(r.passed) / total) * 1000) / 10;
    }
    return suites;
  }

  async hasCluster(clusterId: string): Promise<boolean> {
    const row = await this.db('dq_cluster_validation_latest')
      .select('suite')
      .where('cluster_id', clusterId)
      .first();
    return row !== undefined;
  }

  /** Per cluster: suites reported, and those whose latest run failed. */
  async summaries(): Promise<Map<string, { suites: number; failing: number }>> {
    const rows: Row[] = await this.db('dq_cluster_validation_latest')
      .select('cluster_id')
      .count({ suites: '*' })
      .sum({
        failing: this.db.raw('case when failed > 0 then 1 else 0 end'),
      })
      .groupBy('cluster_id');
    return new Map(
      rows.map(r => [
        r.cluster_id,
        { suites: Number(r.suites), failing: Number(r.failing) },
      ]),
    );
  }
}

/**
 * Retention's "kept" filter: a run goes only when a newer run of its
 * (cluster, suite) exists, so each suite's latest result stays whatever
 * its age.
 */
export const latestValidationsKept = (db: Knex) => (q: Knex.QueryBuilder) =>
  q.whereNotExists(
    db('dq_cluster_validation_latest as l')
      .select(db.raw('1'))
      .where('l.row_id', db.ref('dq_cluster_test_runs.id')),
  );
