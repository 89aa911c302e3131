import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { Config, ConfigReader } from '@backstage/config';
import {
  ValidationProblem,
  WebhookEvent,
} from '@deployment-quality/plugin-deployment-quality-common';

/**
 * How a source proves a delivery is genuine. The secrets themselves come from
 * `deploymentQuality.sources.<id>.secrets` (several, so they can be rotated).
 *
 * - `hmac-sha256`: a hex HMAC-SHA256 of the raw body in `header`, after
 *   `prefix` (GitHub: `x-hub-signature-256`, `sha256=`).
 * - `shared-secret`: the secret in `X-Webhook-Secret`, as
 *   `Authorization: Bearer <secret>`, or as the password of HTTP Basic auth,
 *   for systems that can only send a fixed header or put credentials in the
 *   URL's user-info (Jenkins' Notification plugin).
 *
 * @public
 */
export type SourceAuthentication =
  | { type: 'hmac-sha256'; header: string; prefix: string }
  | { type: 'shared-secret' };

/** One native delivery, as the route or the queue consumer received it. @public */
export interface SourceDelivery {
  /** The parsed JSON body. */
  body: unknown;
  /** Request headers, lower-cased names (empty for queue messages). */
  headers: Record<string, string | undefined>;
  /** When it arrived: the fallback time for sources that send none. */
  receivedAt: Date;
}

/**
 * Where the delivery's service should come from: the catalog entity whose
 * annotation has this value (e.g. `github.com/project-slug` = `org/repo`).
 * When no entity has it, the events keep the adapter's fallback service id.
 * @public
 */
export interface SourceServiceLookup {
  annotation: string;
  value: string;
}

/** What an adapter made of a delivery. @public */
export type SourceMapping =
  | {
      kind: 'events';
      /**
       * Events in the plugin's own format. Give each an `eventId` built from
       * the source's native ids, so a redelivery stores nothing new.
       */
      events: WebhookEvent[];
      service?: SourceServiceLookup;
    }
  /** Genuine but irrelevant (a run that merely started, another workflow). */
  | { kind: 'ignored'; reason: string }
  /** Not the shape this source sends: answered 400 with the problems. */
  | { kind: 'invalid'; problems: ValidationProblem[] };

/** What an adapter is given besides the delivery. @public */
export interface SourceContext {
  /** `deploymentQuality.sources.<id>` (mappings such as environment → cluster), or an empty config. */
  config: Config;
}

/**
 * The context for an adapter, from its config section (absent: empty, so
 * adapters read optional keys without checking for the section).
 * @public
 */
export function createSourceContext(config: Config | undefined): SourceContext {
  return { config: config ?? new ConfigReader({}) };
}

/**
 * A source adapter: a pure translation from one system's native webhook body
 * to the plugin's events. It does no I/O; the plugin authenticates the
 * delivery, resolves the service through the catalog, validates the events
 * against the contract and stores them exactly once.
 * @public
 */
export interface SourceAdapter {
  /** Route segment and SQS `source`: `POST /ingest/sources/<id>`. */
  id: string;
  authentication: SourceAuthentication;
  map(delivery: SourceDelivery, context: SourceContext): SourceMapping;
}

/** @public */
export interface DeploymentQualitySourcesExtensionPoint {
  addSourceAdapter(...adapters: SourceAdapter[]): void;
}

/**
 * Lets a backend module add source adapters to the deployment-quality plugin.
 * @public
 */
export const deploymentQualitySourcesExtensionPoint =
  createExtensionPoint<DeploymentQualitySourcesExtensionPoint>({
    id: 'deployment-quality.sources',
  });

/**
 * A suite name turned into a `suiteType` (`FUNCTIONAL`, `SANITY`, ...): upper
 * case, every run of other characters one `_`, starting with a letter (`T_`
 * is put before a leading digit), at most 64 characters. Shared so that every
 * source and the test-report route name the same suite the same way.
 * @public
 */
export function suiteTypeOf(name: string): string {
  const upper = name
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const named = /^[A-Z]/.test(upper) ? upper : `T_${upper}`;
  return named.slice(0, 64).replace(/_+$/, '');
}
