import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LoggerService } from '@backstage/backend-plugin-api';
import { deadLetterQueueUrl } from './deadLetters';

/** The ingest queue and its DLQ as last polled. */
export interface QueueSnapshot {
  /** Messages waiting. */
  depth?: number;
  /** Messages received and not yet deleted. */
  inFlight?: number;
  /** Messages in the dead-letter queue; absent without a redrive policy. */
  dlqDepth?: number;
  checkedAt?: string;
  /** Why the last poll failed; the depths are then from the poll before. */
  error?: string;
}

/**
 * Polls the queue's and the DLQ's depths (GetQueueAttributes) on an interval,
 * for the queue-depth gauge and the status route, so neither calls SQS per
 * request. The DLQ is found through the queue's RedrivePolicy.
 */
export class QueueMonitor {
  private snapshot: QueueSnapshot = {};
  private dlqUrl?: string;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly logger: LoggerService,
    private readonly intervalMs = 30_000,
  ) {}

  get latest(): QueueSnapshot {
    return { ...this.snapshot };
  }

  start() {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async check(): Promise<QueueSnapshot> {
    try {
      const { Attributes: queue = {} } = await this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: this.queueUrl,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'RedrivePolicy',
          ],
        }),
      );
      const next: QueueSnapshot = {
        depth: Number(queue.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(queue.ApproximateNumberOfMessagesNotVisible ?? 0),
        checkedAt: new Date().toISOString(),
      };
      const dlqUrl = await this.dlqUrlOf(queue.RedrivePolicy);
      if (dlqUrl) {
        const { Attributes: dlq = {} } = await this.client.send(
          new GetQueueAttributesCommand({
            QueueUrl: dlqUrl,
            AttributeNames: ['ApproximateNumberOfMessages'],
          }),
        );
        next.dlqDepth = Number(dlq.ApproximateNumberOfMessages ?? 0);
      }
      this.snapshot = next;
    } catch (error) {
      this.snapshot = { ...this.snapshot, error: String(error) };
      this.logger.warn(`Could not read the queue's depth: ${error}`);
    }
    return this.latest;
  }

  private async dlqUrlOf(redrivePolicy?: string): Promise<string | undefined> {
    this.dlqUrl ??= await deadLetterQueueUrl(this.client, redrivePolicy);
    return this.dlqUrl;
  }
}
