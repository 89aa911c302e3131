import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { ConflictError } from '@backstage/errors';

/** The URL of the queue a RedrivePolicy names; undefined without one. */
export async function deadLetterQueueUrl(
  client: SQSClient,
  redrivePolicy?: string,
): Promise<string | undefined> {
  if (!redrivePolicy) return undefined;
  const arn: string = JSON.parse(redrivePolicy).deadLetterTargetArn ?? '';
  const [, , , , account, name] = arn.split(':');
  if (!name) return undefined;
  const { QueueUrl } = await client.send(
    new GetQueueUrlCommand({
      QueueName: name,
      QueueOwnerAWSAccountId: account,
    }),
  );
  return QueueUrl;
}

/** Consecutive empty receives after which the DLQ counts as drained. */
const EMPTY_RECEIVES = 2;

/**
 * Moves dead-lettered messages back to the ingest queue: each batch is sent
 * to the queue first and deleted from the DLQ only once sent, so a crash in
 * between leaves a message in both (stored once: events are idempotent by
 * id), never in neither.
 */
export class DeadLetterRedrive {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async redrive(max: number): Promise<{ moved: number; failed: number }> {
    const { Attributes = {} } = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.queueUrl,
        AttributeNames: ['RedrivePolicy'],
      }),
    );
    const dlqUrl = await deadLetterQueueUrl(
      this.client,
      Attributes.RedrivePolicy,
    );
    if (!dlqUrl) {
      throw new ConflictError(
        'The ingest queue has no RedrivePolicy naming a dead-letter queue',
      );
    }
    let moved = 0;
    let failed = 0;
    let empty = 0;
    while (moved + failed < max && empty < EMPTY_RECEIVES) {
      const { Messages = [] } = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: Math.min(10, max - moved - failed),
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) {
        empty++;
        continue;
      }
      empty = 0;
      const sent = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: Messages.map((m, i) => ({
            Id: String(i),
            MessageBody: m.Body!,
            ...(m.MessageAttributes
              ? { MessageAttributes: m.MessageAttributes }
              : {}),
          })),
        }),
      );
      const ok = (sent.Successful ?? []).map(s => Messages[Number(s.Id)]);
      // Failed ones stay in the DLQ and show again after its visibility timeout.
      failed += sent.Failed?.length ?? 0;
      if (ok.length > 0) {
        await this.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: dlqUrl,
            Entries: ok.map((m, i) => ({
              Id: String(i),
              ReceiptHandle: m.ReceiptHandle!,
            })),
          }),
        );
      }
      moved += ok.length;
    }
    return { moved, failed };
  }
}
