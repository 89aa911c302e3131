import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ServiceUnavailableError } from '@backstage/errors';
import { EventEnvelope } from '@deployment-quality/plugin-deployment-quality-common';

/** Publishes validated envelopes to the ingest queue (queue mode). */
export class SqsPublisher {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /**
   * Sends every envelope, 10 per request. Throws ServiceUnavailableError when
   * any could not be sent: the caller answers 503 and the sender retries the
   * whole request, which is safe because event ids make redelivery a no-op.
   */
  async publish(envelopes: EventEnvelope[]): Promise<void> {
    for (let i = 0; i < envelopes.length; i += 10) {
      const chunk = envelopes.slice(i, i + 10);
      let failed: number;
      try {
        const result = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: chunk.map((envelope, n) => ({
              Id: String(n),
              MessageBody: JSON.stringify(envelope),
            })),
          }),
        );
        failed = result.Failed?.length ?? 0;
      } catch (error) {
        throw new ServiceUnavailableError(
          `Could not publish to the ingest queue: ${error}`,
        );
      }
      if (failed > 0) {
        throw new ServiceUnavailableError(
          `The ingest queue refused ${failed} of ${chunk.length} messages`,
        );
      }
    }
  }
}
