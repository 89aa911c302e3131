import {
  AuthService,
  LoggerService,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { AuthenticationError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  BatchIngestResponse,
  EventEnvelope,
  ValidationProblem,
  WebhookEvent,
} from '@deployment-quality/plugin-deployment-quality-common';
import {
  SourceAdapter,
  SourceContext,
  SourceDelivery,
  SourceServiceLookup,
} from '@deployment-quality/plugin-deployment-quality-node';
import { WebhookKey, readSourceConfig } from '../config';
import { serviceIdOf } from '../visibility/CatalogIndex';
import {
  EventIngestor,
  EventSink,
  batchResult,
  servicesNamed,
} from './EventIngestor';
import { authenticateWebhook, sourceCredentials } from './webhookAuth';

/** What a native delivery came to, before anything is stored. */
export type SourceOutcome =
  | { kind: 'ignored'; reason: string }
  | {
      kind: 'invalid';
      problems: ValidationProblem[];
      /** The services its events name, so only their viewers see the body. */
      services?: string[];
    }
  | { kind: 'events'; envelopes: EventEnvelope[] };

/** The answer of an accepted delivery. */
export type SourceAnswer =
  | { status: 'ignored'; reason: string }
  | BatchIngestResponse;

interface Source {
  adapter: SourceAdapter;
  secrets: WebhookKey[];
  context: SourceContext;
}

export interface SourceIngestorOptions {
  adapters: SourceAdapter[];
  config: RootConfigService;
  catalog: CatalogService;
  auth: AuthService;
  ingestor: EventIngestor;
  sink: EventSink;
  logger: LoggerService;
}

/**
 * Native deliveries of the registered source adapters, for the HTTP route
 * and the queue consumer alike: authenticates them by the source's scheme,
 * runs the adapter, resolves the service through the catalog (with the
 * plugin's own credentials: a delivery has no Backstage user) and validates
 * every event against the contract, so an adapter can't store what the
 * webhook would refuse. Events then take the webhook's path (envelope,
 * event id, sink), so idempotency is the same.
 */
export class SourceIngestor {
  private readonly sources = new Map<string, Source>();

  constructor(private readonly options: SourceIngestorOptions) {
    for (const adapter of options.adapters) {
      const { secrets, context } = readSourceConfig(options.config, adapter.id);
      if (secrets.length === 0) {
        options.logger.warn(
          `No deploymentQuality.sources.${adapter.id}.secrets configured: source ${adapter.id} rejects every delivery`,
        );
      }
      this.sources.set(adapter.id, { adapter, secrets, context });
    }
  }

  has(sourceId: string): boolean {
    return this.sources.has(sourceId);
  }

  /** The source secret the delivery proves it knows (its name, its rate). */
  authenticate(
    sourceId: string,
    headers: Record<string, string | string[] | undefined>,
    rawBody: Buffer,
  ): WebhookKey {
    const { adapter, secrets } = this.source(sourceId);
    const key = authenticateWebhook(
      sourceCredentials(adapter.authentication, headers),
      rawBody,
      secrets,
    );
    if (!key) {
      throw new AuthenticationError(
        adapter.authentication.type === 'hmac-sha256'
          ? `Missing or invalid ${adapter.authentication.header} signature for source ${sourceId}`
          : `Missing or invalid secret for source ${sourceId}: send X-Webhook-Secret, Authorization: Bearer, or Basic auth`,
      );
    }
    return key;
  }

  /** Runs the adapter and checks its events; stores nothing. */
  async map(
    sourceId: string,
    delivery: SourceDelivery,
    keyName: string,
  ): Promise<SourceOutcome> {
    const { adapter, context } = this.source(sourceId);
    const mapping = adapter.map(delivery, context);
    if (mapping.kind !== 'events') return mapping;
    const serviceId = mapping.service
      ? await this.serviceIdOf(mapping.service)
      : undefined;
    const problems: ValidationProblem[] = [];
    const envelopes: EventEnvelope[] = [];
    const events = mapping.events.map(event => withService(event, serviceId));
    events.forEach((event, i) => {
      const validated = this.options.ingestor.validate(
        event,
        delivery.receivedAt,
      );
      if (validated.ok) {
        envelopes.push(
          this.options.ingestor.toEnvelope(
            validated.value,
            delivery.receivedAt,
            keyName,
          ),
        );
      } else {
        problems.push(
          ...validated.problems.map(p => ({
            path: `events[${i}].${p.path}`,
            message: p.message,
          })),
        );
      }
    });
    // All or nothing: a delivery is one native fact, half of it is wrong.
    return problems.length
      ? { kind: 'invalid', problems, services: servicesNamed(events) }
      : { kind: 'events', envelopes };
  }

  /**
   * Maps an authenticated delivery and hands its events to the sink;
   * records a refused one. Answers `invalid` with the problems for a 400.
   */
  async ingest(
    sourceId: string,
    delivery: SourceDelivery,
    keyName: string,
    rawBody: string,
  ): Promise<
    SourceAnswer | { status: 'invalid'; problems: ValidationProblem[] }
  > {
    const outcome = await this.map(sourceId, delivery, keyName);
    if (outcome.kind === 'invalid') {
      // One record: the delivery is one native fact, however many events.
      await this.options.ingestor.reject({
        receivedAt: delivery.receivedAt.toISOString(),
        reason: 'invalid-event',
        refused: [{ problems: outcome.problems }],
        services: outcome.services,
        source: sourceId,
        body: rawBody,
      });
      return { status: 'invalid', problems: outcome.problems };
    }
    if (outcome.kind === 'ignored') {
      this.options.logger.debug(
        `Ignored a delivery of source ${sourceId}: ${outcome.reason}`,
      );
      return { status: 'ignored', reason: outcome.reason };
    }
    return { results: await this.submit(outcome.envelopes) };
  }

  /** Hands envelopes to the sink: the answer per event, as the webhook's. */
  async submit(
    envelopes: EventEnvelope[],
  ): Promise<BatchIngestResponse['results']> {
    const { sink } = this.options;
    const outcomes = envelopes.length ? await sink.submit(envelopes) : [];
    return envelopes.map((e, i) => batchResult(e, sink.status, outcomes[i]));
  }

  private source(sourceId: string): Source {
    const source = this.sources.get(sourceId);
    if (!source) throw new NotFoundError(`No source ${sourceId}`);
    return source;
  }

  /** The service id of the entity the lookup names, if one does. */
  private async serviceIdOf(
    lookup: SourceServiceLookup,
  ): Promise<string | undefined> {
    const { items } = await this.options.catalog.getEntities(
      {
        filter: { [`metadata.annotations.${lookup.annotation}`]: lookup.value },
        fields: ['kind', 'metadata.name', 'metadata.annotations'],
      },
      { credentials: await this.options.auth.getOwnServiceCredentials() },
    );
    if (items.length > 1) {
      this.options.logger.warn(
        `${items.length} entities have ${lookup.annotation}: ${lookup.value}; using the first`,
      );
    }
    return items[0] ? serviceIdOf(items[0]) : undefined;
  }
}

/** The event with the catalog's service id, where the event names a service. */
function withService(
  event: WebhookEvent,
  serviceId: string | undefined,
): WebhookEvent {
  if (!serviceId || !('serviceId' in event.payload)) return event;
  return { ...event, payload: { ...event.payload, serviceId } } as WebhookEvent;
}
