import { MetricsService } from '@backstage/backend-plugin-api/alpha';
import { EventEnvelope } from '@deployment-quality/plugin-deployment-quality-common';
import {
  DeploymentQualityStore,
  IngestOutcome,
  RejectedEvent,
  RetentionCounts,
} from '../database/DeploymentQualityStore';
import { rollupName } from '../database/rollupQueue';
import type { RollupKind } from '../database/rollups';

/** Queue depths as last polled; undefined until the first poll answers. */
export interface QueueDepths {
  queue?: number;
  dlq?: number;
}

/** What the consumer and rollup gauges read, when scraped. */
export interface WorkerGauges {
  /** This replica's consumer; absent when it doesn't consume. */
  consumer?: () => { running: boolean; lastReceiveAt?: string };
  rollups: () => Promise<{ queuedKeys: number; oldestQueuedAt?: number }>;
}

/**
 * The plugin's metrics, through Backstage's metrics service (OpenTelemetry
 * underneath; exported only when the backend installs a meter provider).
 * Names and the alarms they serve are listed in the README.
 */
export class DeploymentQualityMetrics {
  private readonly ingested;
  private readonly failed;
  private readonly lag;
  private readonly rejected;
  private readonly rejectedDropped;
  private readonly receiveErrors;
  private readonly batchDuration;
  private readonly apiDuration;
  private readonly retentionDeleted;
  private readonly rollupKeysParked;
  private depths: () => QueueDepths = () => ({});
  private workers?: WorkerGauges;
  /** Received → stored of the newest stored event, for the status route. */
  lastIngestLagSeconds?: number;

  constructor(metrics: MetricsService) {
    this.ingested = metrics.createCounter<{
      event_type: string;
      source: string;
      result: 'stored' | 'duplicate' | 'expired';
    }>('deployment_quality.events.ingested', {
      description: 'Events written by the store, by type, source and result',
    });
    this.failed = metrics.createCounter<{
      event_type: string;
      source: string;
    }>('deployment_quality.events.failed', {
      description:
        'Events the database refused to store, each failing alone (the logs name it), by type and source',
    });
    this.lag = metrics.createHistogram('deployment_quality.ingest.lag', {
      description: 'Seconds from receipt (webhook or SQS) to commit',
      unit: 's',
    });
    this.rejected = metrics.createCounter<{
      reason: string;
      transport: string;
    }>('deployment_quality.events.rejected', {
      description: 'Events refused as invalid, by reason and transport',
    });
    this.rejectedDropped = metrics.createCounter(
      'deployment_quality.rejected_events.dropped',
      {
        description:
          'Rejected events whose diagnostics records were dropped, oldest first, to keep dq_rejected_events under its cap',
      },
    );
    this.receiveErrors = metrics.createCounter(
      'deployment_quality.sqs.receive_errors',
      { description: 'Failed SQS ReceiveMessage calls' },
    );
    this.batchDuration = metrics.createHistogram(
      'deployment_quality.consumer.batch.duration',
      {
        description: 'Seconds to validate, write and delete one SQS batch',
        unit: 's',
      },
    );
    this.apiDuration = metrics.createHistogram<{
      route: string;
      method: string;
      status: number;
    }>('deployment_quality.api.duration', {
      description: 'Seconds to answer an HTTP request, by route',
      unit: 's',
    });
    this.retentionDeleted = metrics.createCounter<{ table: string }>(
      'deployment_quality.retention.deleted',
      { description: 'Rows deleted by retention, by table' },
    );
    this.rollupKeysParked = metrics.createCounter<{ rollup: string }>(
      'deployment_quality.rollups.keys_parked',
      {
        description:
          'Rollup keys whose refresh failed on its own and were parked for a retry with back-off, by rollup',
      },
    );
    metrics
      .createObservableGauge<{ queue: 'ingest' | 'dlq' }>(
        'deployment_quality.queue.depth',
        { description: 'Visible messages on the ingest queue and its DLQ' },
      )
      .addCallback(result => {
        const { queue, dlq } = this.depths();
        if (queue !== undefined) result.observe(queue, { queue: 'ingest' });
        if (dlq !== undefined) result.observe(dlq, { queue: 'dlq' });
      });
    metrics
      .createObservableGauge('deployment_quality.consumer.up', {
        description:
          'Whether this replica’s SQS consumer is running (1) or stopped or backing off (0); absent when it does not consume',
      })
      .addCallback(result => {
        const consumer = this.workers?.consumer?.();
        if (consumer) result.observe(consumer.running ? 1 : 0);
      });
    metrics
      .createObservableGauge('deployment_quality.consumer.last_receive_age', {
        description:
          'Seconds since this replica’s consumer last received from the queue (a long poll answers at least every 20 s)',
        unit: 's',
      })
      .addCallback(result => {
        const last = this.workers?.consumer?.().lastReceiveAt;
        if (last) result.observe((Date.now() - Date.parse(last)) / 1000);
      });
    metrics
      .createObservableGauge('deployment_quality.rollups.backlog_age', {
        description:
          'Seconds the oldest queued rollup key has waited for its refresh (0 when none waits)',
        unit: 's',
      })
      .addCallback(async result => {
        if (!this.workers) return;
        try {
          const { oldestQueuedAt } = await this.workers.rollups();
          result.observe(
            oldestQueuedAt === undefined
              ? 0
              : Math.max(0, (Date.now() - oldestQueuedAt) / 1000),
          );
        } catch {
          // The database is down: /status and the API's 5xx say so.
        }
      });
  }

  /**
   * The consumer's state and the rollup queue, read at each scrape: what
   * the alerting rules' "consumer not receiving" and "rollup backlog" need.
   */
  observeWorkers(workers: WorkerGauges) {
    this.workers = workers;
  }

  /** Where the queue-depth gauge reads from (the queue monitor). */
  observeQueueDepths(read: () => QueueDepths) {
    this.depths = read;
  }

  ingestedEvents(
    envelopes: EventEnvelope[],
    outcomes: IngestOutcome[],
    storedAt = Date.now(),
  ) {
    envelopes.forEach((envelope, i) => {
      const outcome = outcomes[i];
      if (outcome.failed) {
        this.failed.add(1, {
          event_type: envelope.eventType,
          source: envelope.source,
        });
        return;
      }
      let result: 'stored' | 'duplicate' | 'expired' = 'stored';
      if (outcome.expired) result = 'expired';
      else if (outcome.duplicate) result = 'duplicate';
      this.ingested.add(1, {
        event_type: envelope.eventType,
        source: envelope.source,
        result,
      });
      if (result === 'stored') {
        const lag = Math.max(0, storedAt - Date.parse(envelope.receivedAt));
        this.lag.record(lag / 1000);
        this.lastIngestLagSeconds = lag / 1000;
      }
    });
  }

  /** Counts every refused event of the request, as it was counted one by one. */
  rejectedEvent(event: RejectedEvent) {
    const events = 'refused' in event ? Math.max(event.refused.length, 1) : 1;
    this.rejected.add(events, {
      reason: event.reason,
      transport: event.transport,
    });
  }

  droppedRejected(events: number) {
    if (events > 0) this.rejectedDropped.add(events);
  }

  receiveError() {
    this.receiveErrors.add(1);
  }

  consumerBatch(seconds: number) {
    this.batchDuration.record(seconds);
  }

  request(route: string, method: string, status: number, seconds: number) {
    this.apiDuration.record(seconds, { route, method, status });
  }

  /** A rollup key failed to refresh on its own (see RollupRefresher). */
  rollupKeyParked(kind: RollupKind) {
    this.rollupKeysParked.add(1, { rollup: rollupName(kind) });
  }

  retention(deleted: RetentionCounts) {
    for (const [table, n] of Object.entries(deleted)) {
      if (n > 0) this.retentionDeleted.add(n, { table });
    }
  }
}

/**
 * The store with its writes counted: the webhook and the SQS consumer both
 * write through it, so every stored or refused event is counted once, in one
 * place. Reads go straight to the store.
 */
export function meteredStore<T extends DeploymentQualityStore>(
  store: T,
  metrics: DeploymentQualityMetrics,
): T {
  // A prototype link keeps every other method (and its `this`) as it is.
  const metered: T = Object.create(store);
  metered.ingest = async event => {
    const outcome = await store.ingest(event);
    metrics.ingestedEvents([event], [outcome]);
    return outcome;
  };
  metered.ingestBatch = async events => {
    const outcomes = await store.ingestBatch(events);
    metrics.ingestedEvents(events, outcomes);
    return outcomes;
  };
  metered.recordRejected = async event => {
    const recorded = await store.recordRejected(event);
    metrics.rejectedEvent(event);
    metrics.droppedRejected(recorded.dropped);
    return recorded;
  };
  return metered;
}
