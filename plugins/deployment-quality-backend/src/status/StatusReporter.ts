import {
  StatusResponse,
  deploymentQualityReadPermission,
} from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { DeploymentQualityStore } from '../database/DeploymentQualityStore';
import { RollupRefresher } from '../database/rollups';
import { dayLabel, rollupName } from '../database/rollupQueue';
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
/** Parked rollup keys listed (readers only); the count covers them all. */
const PARKED_LISTED = 20;

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
  rollups: Pick<RollupRefresher, 'backlog' | 'parked'>;
  metrics: Pick<DeploymentQualityMetrics, 'lastIngestLagSeconds'>;
  /** Present in queue mode. */
  queue?: Pick<QueueMonitor, 'latest'>;
  /** Present when this replica consumes the queue. */
  consumer?: Pick<SqsConsumer, 'state'>;
}

/**
 * What a caller without the plugin's read permission sees in place of an
 * error's text: database and SQS errors name hosts, tables and values.
 */
export const DETAILS_WITHHELD = `details withheld (they need the ${deploymentQualityReadPermission.name} permission)`;

/** Answers `GET /status` from live checks and what the workers last saw. */
export class StatusReporter {
  /** Checks under way, by `details`: callers meanwhile share them. */
  private readonly checking = new Map<boolean, Promise<StatusResponse>>();

  constructor(private readonly options: StatusReporterOptions) {}

  /**
   * The status; `details: false` gives the same answer with every error
   * text replaced by {@link DETAILS_WITHHELD}. No default: each caller says
   * whether its caller may see them. Every overview a user opens asks, so
   * requests arriving while a check runs get its answer rather than five
   * more queries each.
   */
  status(options: { details: boolean }): Promise<StatusResponse> {
    let check = this.checking.get(options.details);
    if (!check) {
      check = this.check(options).finally(() =>
        this.checking.delete(options.details),
      );
      this.checking.set(options.details, check);
    }
    return check;
  }

  /**
   * Whether this replica can serve: the database answers `select 1` within
   * 2 s. What a readiness probe asks, unauthenticated, so it says no more.
   */
  async ready(): Promise<boolean> {
    return !(await this.pingDatabase()).error;
  }

  /** `select 1` within the timeout: how long it took, or why it failed. */
  private async pingDatabase(): Promise<
    { latencyMs: number; error?: undefined } | { error: unknown }
  > {
    const started = performance.now();
    try {
      await withTimeout(this.options.db.raw('select 1'), DATABASE_TIMEOUT_MS);
      return { latencyMs: Math.round(performance.now() - started) };
    } catch (error) {
      return { error };
    }
  }

  private async check(options: { details: boolean }): Promise<StatusResponse> {
    const { store, retentionDays, rollups, metrics, queue, consumer } =
      this.options;
    const problems: string[] = [];
    const detail = (error: unknown) =>
      options.details ? String(error) : DETAILS_WITHHELD;

    let database: StatusResponse['database'];
    const ping = await this.pingDatabase();
    if ('latencyMs' in ping) {
      database = { ok: true, latencyMs: ping.latencyMs };
    } else {
      database = { ok: false, error: detail(ping.error) };
      problems.push(`The database is unreachable: ${detail(ping.error)}`);
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
        retention = { ...retention, error: detail(error) };
      }
    }

    let rollupState: StatusResponse['rollups'];
    if (database.ok) {
      try {
        const [{ queuedKeys, oldestQueuedAt }, parked] = await withTimeout(
          Promise.all([rollups.backlog(), rollups.parked(PARKED_LISTED)]),
          DATABASE_TIMEOUT_MS,
        );
        rollupState = {
          queuedKeys,
          ...(oldestQueuedAt !== undefined
            ? { oldestQueuedAt: new Date(oldestQueuedAt).toISOString() }
            : {}),
          parkedKeys: parked.count,
          // The keys name services and their errors quote values: readers
          // only, like every error text here.
          ...(options.details && parked.count > 0
            ? {
                parked: parked.keys.map(k => ({
                  rollup: rollupName(k.kind),
                  clusterId: k.clusterId,
                  serviceId: k.serviceId,
                  day: dayLabel(k.day),
                  failures: k.failures,
                  retryAt: new Date(k.retryAt).toISOString(),
                  error: k.error,
                })),
              }
            : {}),
        };
        if (parked.count > 0) {
          problems.push(
            `${parked.count} rollup key(s) failed to refresh and are parked, retried with back-off: the analytics and cluster totals of their days may be stale (see the backend log)`,
          );
        }
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
        rollupState = { error: detail(error) };
      }
    }

    const ingestion: StatusResponse['ingestion'] = {
      mode: queue ? 'queue' : 'embedded',
      ...(metrics.lastIngestLagSeconds !== undefined
        ? { lastIngestLagSeconds: metrics.lastIngestLagSeconds }
        : {}),
    };
    if (consumer) {
      const { reason, ...state } = consumer.state;
      // The reason quotes the receive or write error it backs off from.
      ingestion.consumer = {
        ...state,
        ...(reason !== undefined ? { reason: detail(reason) } : {}),
      };
      if (state.state === 'backing-off') {
        problems.push(`The SQS consumer is backing off: ${detail(reason)}`);
      } else if (state.state === 'stopped') {
        problems.push('The SQS consumer is stopped');
      }
    }
    if (queue) {
      const { error, ...snapshot } = queue.latest;
      ingestion.queue = {
        ...snapshot,
        ...(error !== undefined ? { error: detail(error) } : {}),
      };
      if (error) {
        problems.push(`The queue can't be read: ${detail(error)}`);
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
