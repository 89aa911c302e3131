import { StatusResponse } from '@internal/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { DeploymentQualityStore } from '../database/DeploymentQualityStore';
import { RollupRefresher } from '../database/rollups';
import { DeploymentQualityMetrics } from '../metrics/DeploymentQualityMetrics';
import { QueueMonitor } from '../queue/QueueMonitor';
import { SqsConsumer } from '../queue/SqsConsumer';

/** A database that doesn't answer this fast counts as down. */
const DATABASE_TIMEOUT_MS = 2000;
/**
 * Keys queued longer than this mean the refresh is failing or can't keep
 * up: it normally runs within a second of a write.
 */
const ROLLUP_BACKLOG_MS = 60_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export interface StatusReporterOptions {
  db: Knex;
  store: Pick<DeploymentQualityStore, 'retentionRuns'>;
  retentionDays: number;
  rollups: Pick<RollupRefresher, 'backlog'>;
  metrics: Pick<DeploymentQualityMetrics, 'lastIngestLagSeconds'>;
  /** Present in queue mode. */
  queue?: Pick<QueueMonitor, 'latest'>;
  /** Present when this replica consumes the queue. */
  consumer?: Pick<SqsConsumer, 'state'>;
}

/** Answers `GET /status` from live checks and what the workers last saw. */
export class StatusReporter {
  constructor(private readonly options: StatusReporterOptions) {}

  async status(): Promise<StatusResponse> {
    const { db, store, retentionDays, rollups, metrics, queue, consumer } =
      this.options;
    const problems: string[] = [];

    const started = performance.now();
    let database: StatusResponse['database'];
    try {
      await withTimeout(db.raw('select 1'), DATABASE_TIMEOUT_MS);
      database = {
        ok: true,
        latencyMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      database = { ok: false, error: String(error) };
      problems.push(`The database is unreachable: ${error}`);
    }

    let retention: StatusResponse['retention'] = { days: retentionDays };
    if (database.ok) {
      try {
        const { latest } = await withTimeout(
          store.retentionRuns(new Date()),
          DATABASE_TIMEOUT_MS,
        );
        if (latest) retention = { ...retention, lastRun: latest };
      } catch (error) {
        retention = { ...retention, error: String(error) };
      }
    }

    let rollupState: StatusResponse['rollups'];
    if (database.ok) {
      try {
        const { queuedKeys, oldestQueuedAt } = await withTimeout(
          rollups.backlog(),
          DATABASE_TIMEOUT_MS,
        );
        rollupState = {
          queuedKeys,
          ...(oldestQueuedAt !== undefined
            ? { oldestQueuedAt: new Date(oldestQueuedAt).toISOString() }
            : {}),
        };
        if (
          oldestQueuedAt !== undefined &&
          Date.now() - oldestQueuedAt > ROLLUP_BACKLOG_MS
        ) {
          problems.push(
            `${queuedKeys} rollup key(s) queued for over ${
              ROLLUP_BACKLOG_MS / 1000
            } s: the rollup refresh is failing or behind (see the backend log)`,
          );
        }
      } catch (error) {
        rollupState = { error: String(error) };
      }
    }

    const ingestion: StatusResponse['ingestion'] = {
      mode: queue ? 'queue' : 'embedded',
      ...(metrics.lastIngestLagSeconds !== undefined
        ? { lastIngestLagSeconds: metrics.lastIngestLagSeconds }
        : {}),
    };
    if (consumer) {
      const state = consumer.state;
      ingestion.consumer = state;
      if (state.state === 'backing-off') {
        problems.push(`The SQS consumer is backing off: ${state.reason}`);
      } else if (state.state === 'stopped') {
        problems.push('The SQS consumer is stopped');
      }
    }
    if (queue) {
      const snapshot = queue.latest;
      ingestion.queue = snapshot;
      if (snapshot.error) {
        problems.push(`The queue can't be read: ${snapshot.error}`);
      }
      if (snapshot.dlqDepth) {
        problems.push(
          `${snapshot.dlqDepth} message(s) in the dead-letter queue`,
        );
      }
    }

    return {
      checkedAt: new Date().toISOString(),
      ok: problems.length === 0,
      problems,
      database,
      ingestion,
      retention,
      ...(rollupState ? { rollups: rollupState } : {}),
    };
  }
}
