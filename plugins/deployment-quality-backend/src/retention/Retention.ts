import {
  LoggerService,
  RootConfigService,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import {
  DeploymentQualityStore,
  RetentionRun,
} from '../database/DeploymentQualityStore';

const DAY_MS = 86_400_000;

export interface RetentionConfig {
  /** Rows about times older than this many days are deleted. */
  days: number;
  /** Rows per delete statement. */
  batchSize: number;
  schedule: SchedulerServiceTaskScheduleDefinition;
}

/** `deploymentQuality.retention`, with its defaults. */
export function readRetentionConfig(
  config: RootConfigService,
): RetentionConfig {
  const retention = config.getOptionalConfig('deploymentQuality.retention');
  const days = retention?.getOptionalNumber('days') ?? 90;
  const batchSize = retention?.getOptionalNumber('batchSize') ?? 1000;
  if (!Number.isInteger(days) || days < 1) {
    throw new Error(
      'deploymentQuality.retention.days must be a whole number of days, at least 1',
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    throw new Error(
      'deploymentQuality.retention.batchSize must be an integer from 1 to 100000',
    );
  }
  const schedule = retention?.getOptionalConfig('schedule');
  return {
    days,
    batchSize,
    schedule: schedule
      ? readSchedulerServiceTaskScheduleDefinitionFromConfig(schedule)
      : {
          frequency: { hours: 1 },
          timeout: { minutes: 30 },
          initialDelay: { minutes: 1 },
        },
  };
}

/** Deletes what is older than the retention window, and records each run. */
export class Retention {
  constructor(
    private readonly store: Pick<
      DeploymentQualityStore,
      'deleteOlderThan' | 'recordRetentionRun'
    >,
    private readonly logger: LoggerService,
    private readonly config: Pick<RetentionConfig, 'days' | 'batchSize'>,
    private readonly onRun: (run: RetentionRun) => void = () => {},
  ) {}

  async run(now = new Date()): Promise<RetentionRun> {
    const cutoff = new Date(now.getTime() - this.config.days * DAY_MS);
    const deleted = await this.store.deleteOlderThan(cutoff, {
      batchSize: this.config.batchSize,
    });
    const run: RetentionRun = {
      startedAt: now.toISOString(),
      finishedAt: new Date().toISOString(),
      cutoff: cutoff.toISOString(),
      deleted,
    };
    await this.store.recordRetentionRun(run);
    this.logger.info(
      `Retention deleted rows older than ${run.cutoff}: ${Object.entries(
        deleted,
      )
        .map(([table, n]) => `${table}=${n}`)
        .join(' ')}`,
    );
    this.onRun(run);
    return run;
  }

  /**
   * Schedules the run with `scope: 'global'`: the scheduler's database lock
   * makes one replica run it per period, however many are up.
   */
  async schedule(
    scheduler: SchedulerService,
    schedule: SchedulerServiceTaskScheduleDefinition,
  ): Promise<void> {
    await scheduler.scheduleTask({
      ...schedule,
      id: 'deployment-quality-retention',
      // After the spread: a schedule read from config carries `scope` too.
      scope: 'global',
      fn: async () => {
        await this.run();
      },
    });
  }
}
