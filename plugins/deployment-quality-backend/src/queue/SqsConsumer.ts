import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  BOUNDS,
  EventEnvelope,
  ValidationProblem,
  validateQueueMessage,
} from '@deployment-quality/plugin-deployment-quality-common';
import {
  DeploymentQualityStore,
  RejectedEvent,
  RejectionReason,
} from '../database/DeploymentQualityStore';
import { notAfter } from '../ingestion/clockSkew';
import { envelopeOf } from '../ingestion/eventId';
import { header } from '../ingestion/EventIngestor';
import { SourceIngestor } from '../ingestion/SourceIngestor';
import { DeploymentQualityMetrics } from '../metrics/DeploymentQualityMetrics';

export interface SqsConsumerOptions {
  client: SQSClient;
  queueUrl: string;
  store: DeploymentQualityStore;
  logger: LoggerService;
  waitTimeSeconds: number;
  maxMessages: number;
  visibilityTimeoutSeconds: number;
  /** Concurrent long-poll loops. */
  pollers: number;
  /**
   * Source adapters for native messages: `{ source: <adapter id>, payload:
   * <native body> }` without an `eventType` (a message in our own format may
   * name any source, `argocd` included).
   */
  sources?: Pick<SourceIngestor, 'has' | 'map'>;
  metrics?: Pick<DeploymentQualityMetrics, 'receiveError' | 'consumerBatch'>;
  /** Back-off after a failed receive or write, doubled up to maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * How far past now a message's times may be (see clockSkew.ts): the same
   * bound as the webhook's, measured when the message is consumed, so what
   * the webhook accepted and published always passes.
   */
  maxFutureSkewMs?: number;
}

/** What the consumer is doing, for the status route and logs. */
export interface ConsumerState {
  state: 'stopped' | 'running' | 'backing-off';
  reason?: string;
  lastReceiveAt?: string;
  /** Since start: failed receives, and events whose write failed. */
  receiveErrors: number;
  failedWrites: number;
}

/** The outcome of one received batch. */
export interface BatchOutcome {
  stored: number;
  duplicates: number;
  rejected: number;
  /** Native messages their adapter found irrelevant; deleted. */
  ignored: number;
  /**
   * Events the database refused alone (see isolateRefused): their messages
   * are left for SQS to redeliver and, after maxReceiveCount, to move to the
   * DLQ. Such a failure repeats identically, so the loop doesn't back off.
   */
  failed: number;
  /**
   * Left on the queue because the database or the catalog failed: SQS
   * redelivers them (and after maxReceiveCount moves them to the DLQ), and
   * the loop backs off.
   */
  retried: number;
}

type Parsed =
  | { message: Message; envelope: EventEnvelope }
  | { message: Message; rejection: RejectedEvent }
  | { message: Message; ignored: string }
  | { message: Message; failed: unknown };

/**
 * Long-polls the ingest queue and writes each message idempotently, deleting
 * it only after its write committed. An invalid message is recorded as
 * rejected and deleted; a message whose write failed is left for SQS to
 * redeliver (and, past the queue's maxReceiveCount, to move to the DLQ).
 * Only a failure of the database (or the catalog) makes the loop back off:
 * an event the database refuses fails alone, and the rest of its batch is
 * stored.
 */
export class SqsConsumer {
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private readonly status: ConsumerState = {
    state: 'stopped',
    receiveErrors: 0,
    failedWrites: 0,
  };

  constructor(private readonly options: SqsConsumerOptions) {}

  get state(): ConsumerState {
    return { ...this.status };
  }

  start(): void {
    if (this.loops.length > 0) return;
    this.status.state = 'running';
    for (let i = 0; i < this.options.pollers; i++) {
      this.loops.push(this.poll(i));
    }
    this.options.logger.info(
      `SQS consumer started on ${this.options.queueUrl} with ${this.options.pollers} poller(s)`,
    );
  }

  /** Stops polling; in-flight batches are finished (written and deleted) first. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
    this.loops = [];
    this.status.state = 'stopped';
    this.options.logger.info('SQS consumer stopped');
  }

  private get stopping() {
    return this.abort.signal.aborted;
  }

  /**
   * One long-poll loop. While healthy it receives the next batch while the
   * last one is written (at most one of each per loop), so a loop's pace is
   * the slower of the two rather than their sum; while backing off it
   * receives nothing until the write in hand is done.
   */
  private async poll(poller: number): Promise<void> {
    const { minBackoffMs = 500, maxBackoffMs = 30_000 } = this.options;
    let backoff = minBackoffMs;
    let writing: Promise<void> = Promise.resolve();
    const write = async (messages: Message[]) => {
      const started = performance.now();
      const outcome = await this.processBatch(messages);
      this.options.metrics?.consumerBatch((performance.now() - started) / 1000);
      if (outcome.retried > 0) {
        // The database (or the catalog) is likely down: give it time rather
        // than hot-looping on redeliveries.
        await this.backOff(
          `${outcome.retried} message(s) could not be written`,
          backoff,
          poller,
        );
        backoff = Math.min(backoff * 2, maxBackoffMs);
      } else {
        backoff = minBackoffMs;
        if (this.status.state === 'backing-off') {
          this.status.state = 'running';
          delete this.status.reason;
        }
      }
    };
    while (!this.stopping) {
      if (this.status.state === 'backing-off') await writing;
      let messages: Message[];
      try {
        const result = await this.options.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            MaxNumberOfMessages: this.options.maxMessages,
            WaitTimeSeconds: this.options.waitTimeSeconds,
            MessageSystemAttributeNames: ['SentTimestamp'],
          }),
          { abortSignal: this.abort.signal },
        );
        messages = result.Messages ?? [];
        this.status.lastReceiveAt = new Date().toISOString();
      } catch (error) {
        if (this.stopping) break;
        this.status.receiveErrors++;
        this.options.metrics?.receiveError();
        await writing;
        await this.backOff(`receive failed: ${error}`, backoff, poller);
        backoff = Math.min(backoff * 2, maxBackoffMs);
        continue;
      }
      if (messages.length === 0) continue;
      await writing;
      writing = write(messages);
    }
    // In-flight batches are written and deleted before the loop ends.
    await writing;
  }

  private async backOff(reason: string, ms: number, poller: number) {
    this.status.state = 'backing-off';
    this.status.reason = reason;
    this.options.logger.warn(
      `SQS consumer ${poller} backing off ${ms} ms: ${reason}`,
    );
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, ms * (0.75 + Math.random() * 0.5));
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Validates, writes and deletes one received batch. */
  async processBatch(messages: Message[]): Promise<BatchOutcome> {
    const outcome: BatchOutcome = {
      stored: 0,
      duplicates: 0,
      rejected: 0,
      ignored: 0,
      failed: 0,
      retried: 0,
    };
    const done: Message[] = [];
    const failed = new Set<Message>();
    const stopExtending = this.keepInvisible(messages);
    try {
      // A native message may map to several events: one entry each.
      const parsed = (
        await Promise.all(messages.map(m => this.parse(m)))
      ).flat();
      const valid = parsed.filter(
        (p): p is Extract<Parsed, { envelope: EventEnvelope }> =>
          'envelope' in p,
      );

      for (const p of parsed) {
        if ('ignored' in p) {
          outcome.ignored++;
          done.push(p.message);
          continue;
        }
        if ('failed' in p) {
          // The catalog lookup failed: SQS redelivers it.
          outcome.retried++;
          this.options.logger.warn(
            `Could not map message ${p.message.MessageId}: ${p.failed}`,
          );
          continue;
        }
        if (!('rejection' in p)) continue;
        try {
          await this.options.store.recordRejected(p.rejection);
          outcome.rejected++;
          done.push(p.message);
        } catch (error) {
          outcome.retried++;
          this.options.logger.warn(
            `Could not record rejected message ${p.message.MessageId}: ${error}`,
          );
        }
      }

      try {
        // One transaction for the batch, but for the events the database
        // refuses: those fail alone.
        const results = await this.options.store.ingestBatch(
          valid.map(v => v.envelope),
        );
        results.forEach((result, i) => {
          const { message, envelope } = valid[i];
          if (result.failed) {
            outcome.failed++;
            this.status.failedWrites++;
            failed.add(message);
            this.options.logger.warn(
              `Event ${envelope.eventId} was not stored, left for redelivery and the DLQ: ${result.failed.error}`,
            );
            return;
          }
          if (result.duplicate) outcome.duplicates++;
          else outcome.stored++;
          done.push(message);
        });
      } catch (error) {
        outcome.retried += valid.length;
        this.status.failedWrites += valid.length;
        this.options.logger.warn(
          `Write of ${valid.length} event(s) failed, left for redelivery: ${error}`,
        );
      }
    } finally {
      stopExtending();
    }
    // Once per message, and only when all of its events were written.
    await this.deleteMessages([...new Set(done)].filter(m => !failed.has(m)));
    return outcome;
  }

  /** Our envelope, or a native message through its source adapter. */
  private async parse(message: Message): Promise<Parsed[]> {
    const { sources } = this.options;
    const native = sources && nativeOf(message.Body, sources);
    if (!native) {
      const skew =
        this.options.maxFutureSkewMs ?? BOUNDS.defaultFutureSkewSeconds * 1000;
      return [parseMessage(message, notAfter(Date.now(), skew))];
    }
    const receivedAt = new Date(receivedAtOf(message));
    try {
      const outcome = await sources.map(
        native.source,
        { body: native.payload, headers: {}, receivedAt },
        native.source,
      );
      if (outcome.kind === 'ignored')
        return [{ message, ignored: outcome.reason }];
      if (outcome.kind === 'invalid') {
        return [
          {
            message,
            rejection: {
              receivedAt: receivedAt.toISOString(),
              transport: 'sqs',
              reason: 'invalid-event',
              refused: [{ problems: outcome.problems }],
              services: outcome.services,
              source: native.source,
              body: message.Body,
            },
          },
        ];
      }
      return outcome.envelopes.map(envelope => ({ message, envelope }));
    } catch (error) {
      return [{ message, failed: error }];
    }
  }

  /**
   * While a batch takes longer than half the visibility timeout, extend it,
   * so SQS doesn't hand the messages to another consumer mid-write.
   */
  private keepInvisible(messages: Message[]): () => void {
    const seconds = this.options.visibilityTimeoutSeconds;
    const timer = setInterval(() => {
      this.options.client
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: messages.map((m, i) => ({
              Id: String(i),
              ReceiptHandle: m.ReceiptHandle!,
              VisibilityTimeout: seconds,
            })),
          }),
        )
        .catch(error =>
          this.options.logger.warn(`Could not extend visibility: ${error}`),
        );
    }, (seconds * 1000) / 2);
    return () => clearInterval(timer);
  }

  private async deleteMessages(messages: Message[]) {
    if (messages.length === 0) return;
    try {
      const result = await this.options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: messages.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle!,
          })),
        }),
      );
      if (result.Failed?.length) {
        this.options.logger.warn(
          `${result.Failed.length} message(s) not deleted; their redelivery will be a no-op`,
        );
      }
    } catch (error) {
      // Written but not deleted: SQS redelivers them and the event ids make
      // that a no-op, so nothing is lost or counted twice.
      this.options.logger.warn(`Could not delete messages: ${error}`);
    }
  }
}

/** When SQS received the message: the fallback time of its events. */
function receivedAtOf(message: Message): string {
  const sentAt = Number(message.Attributes?.SentTimestamp);
  return new Date(Number.isFinite(sentAt) ? sentAt : Date.now()).toISOString();
}

/** A message in a source's native format, or undefined. */
function nativeOf(
  body: string | undefined,
  sources: Pick<SourceIngestor, 'has'>,
): { source: string; payload: unknown } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return undefined;
  }
  if (!json || typeof json !== 'object' || 'eventType' in json)
    return undefined;
  const { source, payload } = json as { source?: unknown; payload?: unknown };
  return typeof source === 'string' && sources.has(source)
    ? { source, payload }
    : undefined;
}

function parseMessage(message: Message, latest: number): Parsed {
  const receivedAt = receivedAtOf(message);
  const body = message.Body ?? '';
  const reject = (
    reason: RejectionReason,
    problems: ValidationProblem[],
    json?: Record<string, unknown>,
  ): Parsed => {
    const { serviceId } = header(json);
    return {
      message,
      rejection: {
        receivedAt,
        transport: 'sqs',
        reason,
        problems,
        body,
        ...(typeof json?.source === 'string' ? { source: json.source } : {}),
        ...(typeof json?.eventId === 'string' ? { eventId: json.eventId } : {}),
        ...(typeof json?.eventType === 'string'
          ? { eventType: json.eventType }
          : {}),
        ...(serviceId ? { serviceId } : {}),
      },
    };
  };

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return reject('malformed-json', [
      { path: '(root)', message: 'message body is not valid JSON' },
    ]);
  }
  const validated = validateQueueMessage(json, { notAfter: latest });
  if (!validated.ok) {
    return reject(
      'invalid-envelope',
      validated.problems,
      json && typeof json === 'object'
        ? (json as Record<string, unknown>)
        : undefined,
    );
  }
  const { receivedAt: given, sourceKey, ...event } = validated.value;
  return {
    message,
    envelope: envelopeOf(event, given ?? receivedAt, sourceKey),
  };
}
