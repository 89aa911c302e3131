import { LoggerService } from '@backstage/backend-plugin-api';
import {
  BOUNDS,
  BatchIngestResponse,
  EventEnvelope,
  IngestResponse,
  ValidationProblem,
  ValidationResult,
  WebhookEvent,
  deriveAttemptId,
  validateWebhookBatch,
  validateWebhookEvent,
} from '@deployment-quality/plugin-deployment-quality-common';
import {
  DeploymentQualityStore,
  IngestOutcome,
  RejectedEvent,
  RejectedItem,
} from '../database/DeploymentQualityStore';
import { SqsPublisher } from '../queue/SqsPublisher';
import { notAfter } from './clockSkew';
import { envelopeOf } from './eventId';

export type WebhookOutcome =
  | { kind: 'single'; result: IngestResponse }
  | { kind: 'batch'; result: BatchIngestResponse; accepted: number }
  | { kind: 'invalid'; problems: ValidationProblem[] };

type SinkOutcome = Pick<IngestOutcome, 'duplicate' | 'expired' | 'failed'>;

/** Where accepted webhook events go, and the status the answer reports. */
export interface EventSink {
  status: IngestResponse['status'];
  /**
   * One outcome per envelope. Rejects rather than answer every one
   * `failed`, so a lone event is stored (or queued) or its request fails.
   */
  submit(envelopes: EventEnvelope[]): Promise<SinkOutcome[]>;
}

/**
 * Embedded mode: written to the database before the answer. An event the
 * database refuses fails alone, and the rest of the request is stored. But
 * when no event of the request could be stored, the request fails (500):
 * what the database refuses of every event is more likely its own fault (a
 * broken migration, say) than the events', and the sender's retry of a
 * failed request is the way such events get stored once it is fixed.
 */
export function storeSink(
  store: DeploymentQualityStore,
  logger: LoggerService,
): EventSink {
  return {
    status: 'stored',
    submit: async envelopes => {
      const outcomes = await store.ingestBatch(envelopes);
      const failures = outcomes.flatMap(({ eventId, failed }) =>
        failed ? [{ eventId, error: failed.error }] : [],
      );
      if (failures.length > 0 && failures.length === outcomes.length) {
        throw failures[0].error;
      }
      for (const { eventId, error } of failures) {
        logger.warn(`Event ${eventId} was not stored: ${error}`);
      }
      return outcomes;
    },
  };
}

/** Queue mode: publish to SQS; the consumer writes. */
export function queueSink(publisher: SqsPublisher): EventSink {
  return {
    status: 'queued',
    submit: async envelopes => {
      await publisher.publish(envelopes);
      return envelopes.map(() => ({ duplicate: false }));
    },
  };
}

/**
 * The answer for one accepted event: the flags only when they are true, and
 * for a deployment the attempt it is stored under, so a CI that sent no
 * `attemptId` or `runNumber` can still post its test results by attempt.
 */
export function ingestResult(
  envelope: EventEnvelope,
  status: IngestResponse['status'],
  outcome: { duplicate: boolean; expired?: boolean },
): IngestResponse {
  const stored = envelope.eventType === 'deployment' && !outcome.expired;
  return {
    eventId: envelope.eventId,
    status,
    ...(stored ? { attemptId: deriveAttemptId(envelope.payload) } : {}),
    ...(outcome.duplicate ? { duplicate: true } : {}),
    ...(outcome.expired ? { expired: true } : {}),
  };
}

/** The answer for one event of a batch: accepted, or failed alone. */
export function batchResult(
  envelope: EventEnvelope,
  status: IngestResponse['status'],
  outcome: SinkOutcome,
): BatchIngestResponse['results'][number] {
  return outcome.failed
    ? {
        eventId: envelope.eventId,
        status: 'failed',
        reason: outcome.failed.reason,
      }
    : ingestResult(envelope, status, outcome);
}

/**
 * What can be read of a refused event: its header, and the service it is
 * about, so diagnostics leave it out for callers who may not see that
 * service.
 */
export function header(item: unknown): Partial<Record<string, string>> {
  if (!item || typeof item !== 'object') return {};
  const { eventId, eventType, source, payload } = item as Record<
    string,
    unknown
  >;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const serviceId =
    payload && typeof payload === 'object'
      ? str((payload as Record<string, unknown>).serviceId)
      : undefined;
  return {
    eventId: str(eventId),
    eventType: str(eventType),
    source: str(source),
    serviceId,
  };
}

/** The header fields of an item as a refused item, with its problems. */
export function refusedItem(
  item: unknown,
  problems: ValidationProblem[],
): RejectedItem {
  const h = header(item);
  return {
    ...(h.eventId ? { eventId: h.eventId } : {}),
    ...(h.eventType ? { eventType: h.eventType } : {}),
    ...(h.serviceId ? { serviceId: h.serviceId } : {}),
    problems,
  };
}

/** The distinct services the items of a body name. */
export function servicesNamed(items: unknown[]): string[] {
  const services = new Set<string>();
  for (const item of items) {
    const { serviceId } = header(item);
    if (serviceId) services.add(serviceId);
  }
  return [...services];
}

/** A rejection as the routers describe it: the ingestor adds the transport. */
export type WebhookRejection = RejectedEvent extends infer E
  ? E extends unknown
    ? Omit<E, 'transport'>
    : never
  : never;

/**
 * Validates webhook bodies and hands the valid events, as envelopes, to the
 * sink; records what it refuses, once per request. Transport-agnostic:
 * callers pass parsed JSON and the name of the key that authenticated the
 * request.
 */
export class EventIngestor {
  constructor(
    private readonly sink: EventSink,
    private readonly store: DeploymentQualityStore,
    /** The plugin's logger, which the routers log internal errors to. */
    private readonly logger: LoggerService,
    /** How far past its receipt an event's times may be (see clockSkew.ts). */
    private readonly maxFutureSkewMs = BOUNDS.defaultFutureSkewSeconds * 1000,
  ) {}

  /**
   * Checks an event against the contract and its bounds, times included:
   * none may be later than the time of receipt plus the allowed skew. Every
   * path that takes events from outside (webhook, sources, test reports)
   * validates through here.
   */
  validate(input: unknown, receivedAt: Date): ValidationResult<WebhookEvent> {
    return validateWebhookEvent(input, {
      notAfter: notAfter(receivedAt, this.maxFutureSkewMs),
    });
  }

  toEnvelope(
    event: WebhookEvent,
    receivedAt: Date,
    sourceKey: string,
  ): EventEnvelope {
    return envelopeOf(event, receivedAt.toISOString(), sourceKey);
  }

  /** Records a refused body; never fails the request over it. */
  async reject(event: WebhookRejection): Promise<void> {
    try {
      await this.store.recordRejected({
        ...event,
        transport: 'webhook',
      } as RejectedEvent);
    } catch (error) {
      this.logger.warn(`Could not record a rejected webhook event: ${error}`);
    }
  }

  /** Handles a webhook body: one event, or `{ events: [...] }`. */
  async handleWebhookBody(
    body: unknown,
    receivedAt: Date,
    keyName: string,
    rawBody: string,
  ): Promise<WebhookOutcome> {
    // One record per request, whatever it holds: the body once, with the
    // refused items it covers (a batch of 500 bad events is one record).
    const refuse = async (
      refused: RejectedItem[],
      items: unknown[],
      first: unknown,
    ) => {
      const { source } = header(first);
      await this.reject({
        receivedAt: receivedAt.toISOString(),
        reason: 'invalid-event',
        source: source ?? keyName,
        refused,
        services: servicesNamed(items),
        body: rawBody,
      });
    };

    if (body && typeof body === 'object' && 'events' in body) {
      const events = (body as { events: unknown }).events;
      const items = Array.isArray(events) ? events : [];
      const batch = validateWebhookBatch(body);
      if (!batch.ok) {
        await refuse([{ problems: batch.problems }], items, items[0]);
        return { kind: 'invalid', problems: batch.problems };
      }
      const results: BatchIngestResponse['results'] = [];
      const accepted: Array<{ index: number; envelope: EventEnvelope }> = [];
      const refused: RejectedItem[] = [];
      let firstRefused: unknown;
      batch.value.events.forEach((item, index) => {
        const validated = this.validate(item, receivedAt);
        if (validated.ok) {
          accepted.push({
            index,
            envelope: this.toEnvelope(validated.value, receivedAt, keyName),
          });
          results.push({ eventId: '', status: this.sink.status });
        } else {
          firstRefused ??= item;
          // The record covers several items: its paths say which.
          refused.push(
            refusedItem(
              item,
              validated.problems.map(p => ({
                ...p,
                path: `events[${index}].${p.path}`,
              })),
            ),
          );
          const { eventId } = header(item);
          results.push({
            ...(eventId ? { eventId } : {}),
            status: 'rejected',
            problems: validated.problems,
          });
        }
      });
      if (refused.length > 0) {
        await refuse(refused, batch.value.events, firstRefused);
      }
      if (accepted.length > 0) {
        const outcomes = await this.sink.submit(accepted.map(a => a.envelope));
        accepted.forEach(({ index, envelope }, n) => {
          results[index] = batchResult(envelope, this.sink.status, outcomes[n]);
        });
      }
      this.logger.debug(`Webhook batch from key ${keyName}`, {
        accepted: accepted.length,
        rejected: refused.length,
      });
      return { kind: 'batch', result: { results }, accepted: accepted.length };
    }

    const validated = this.validate(body, receivedAt);
    if (!validated.ok) {
      await refuse([refusedItem(body, validated.problems)], [body], body);
      return { kind: 'invalid', problems: validated.problems };
    }
    const envelope = this.toEnvelope(validated.value, receivedAt, keyName);
    const [outcome] = await this.sink.submit([envelope]);
    return {
      kind: 'single',
      result: ingestResult(envelope, this.sink.status, outcome),
    };
  }
}
