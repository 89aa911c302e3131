import { createHash } from 'node:crypto';
import {
  EventEnvelope,
  WebhookEvent,
  withReceiptDefaults,
} from '@deployment-quality/plugin-deployment-quality-common';

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter(k => (value as Record<string, unknown>)[k] !== undefined)
      .map(
        k =>
          `${JSON.stringify(k)}:${canonicalJson(
            (value as Record<string, unknown>)[k],
          )}`,
      )
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The event's id: the caller's `eventId`, else a name-based id (UUID-shaped)
 * hashed from the type, source and payload, so a sender that retries the same
 * body without an id can't store it twice.
 */
export function eventIdOf(event: WebhookEvent): string {
  if (event.eventId) return event.eventId;
  const hex = createHash('sha256')
    .update(
      `${event.eventType}\n${event.source}\n${canonicalJson(event.payload)}`,
    )
    .digest('hex');
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `5${hex.slice(13, 16)}`,
    ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80)
      .toString(16)
      .padStart(2, '0') + hex.slice(18, 20),
    hex.slice(20, 32),
  ].join('-');
}

/**
 * The envelope of a validated event. The id is derived from the event as
 * sent, before the receipt defaults are filled in: a retry of a body without
 * `executedAt` arrives at another time but must keep its id.
 */
export function envelopeOf(
  event: WebhookEvent,
  receivedAt: string,
  sourceKey?: string,
): EventEnvelope {
  return {
    ...withReceiptDefaults(event, receivedAt),
    eventId: eventIdOf(event),
    receivedAt,
    ...(sourceKey ? { sourceKey } : {}),
  };
}
