import { LoggerService } from '@backstage/backend-plugin-api';
import {
  BatchIngestResponse,
  EventEnvelope,
  IngestResponse,
  ValidationProblem,
  WebhookEvent,
  validateWebhookBatch,
  validateWebhookEvent,
} from '@internal/plugin-deployment-quality-common';
import { DeploymentQualityStore } from '../database/DeploymentQualityStore';
import { eventIdOf } from './eventId';

export type WebhookOutcome =
  | { kind: 'single'; result: IngestResponse }
  | { kind: 'batch'; result: BatchIngestResponse; accepted: number }
  | { kind: 'invalid'; problems: ValidationProblem[] };

/**
 * Turns validated webhook events into envelopes and stores them (embedded
 * mode). Callers pass parsed JSON; everything here is transport-agnostic.
 */
export class EventIngestor {
  constructor(
    private readonly store: DeploymentQualityStore,
    private readonly logger: LoggerService,
  ) {}

  toEnvelope(event: WebhookEvent, receivedAt: Date): EventEnvelope {
    return {
      ...event,
      eventId: eventIdOf(event),
      receivedAt: receivedAt.toISOString(),
    } as EventEnvelope;
  }

  async ingest(envelope: EventEnvelope): Promise<IngestResponse> {
    const outcome = await this.store.ingest(envelope);
    this.logger.debug('Stored event', {
      eventId: outcome.eventId,
      eventType: envelope.eventType,
      source: envelope.source,
      duplicate: outcome.duplicate,
    });
    return {
      eventId: outcome.eventId,
      status: 'stored',
      ...(outcome.duplicate ? { duplicate: true } : {}),
    };
  }

  /** Handles a webhook body: one event, or `{ events: [...] }`. */
  async handleWebhookBody(
    body: unknown,
    receivedAt: Date,
  ): Promise<WebhookOutcome> {
    if (body && typeof body === 'object' && 'events' in body) {
      return this.handleBatch(body, receivedAt);
    }
    const validated = validateWebhookEvent(body);
    if (!validated.ok) {
      return { kind: 'invalid', problems: validated.problems };
    }
    return {
      kind: 'single',
      result: await this.ingest(this.toEnvelope(validated.value, receivedAt)),
    };
  }

  private async handleBatch(
    body: object,
    receivedAt: Date,
  ): Promise<WebhookOutcome> {
    const batch = validateWebhookBatch(body);
    if (!batch.ok) {
      return { kind: 'invalid', problems: batch.problems };
    }
    const results: BatchIngestResponse['results'] = [];
    let accepted = 0;
    for (const item of batch.value.events) {
      const validated = validateWebhookEvent(item);
      if (!validated.ok) {
        const eventId =
          item && typeof item === 'object' && 'eventId' in item
            ? String((item as { eventId: unknown }).eventId)
            : undefined;
        results.push({
          ...(eventId ? { eventId } : {}),
          status: 'rejected',
          problems: validated.problems,
        });
        continue;
      }
      results.push(
        await this.ingest(this.toEnvelope(validated.value, receivedAt)),
      );
      accepted++;
    }
    return { kind: 'batch', result: { results }, accepted };
  }
}
