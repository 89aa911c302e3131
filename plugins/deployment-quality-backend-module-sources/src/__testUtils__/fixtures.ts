import { ConfigReader } from '@backstage/config';
import {
  SourceAdapter,
  SourceMapping,
} from '@deployment-quality/plugin-deployment-quality-node';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** A parsed JSON fixture from `src/__fixtures__`. */
export function fixture(path: string): any {
  return JSON.parse(
    readFileSync(resolve(__dirname, '../__fixtures__', path), 'utf8'),
  );
}

export const RECEIVED_AT = new Date('2026-02-24T10:00:00.000Z');

/** Runs an adapter on a body as the plugin would. */
export function mapWith(
  adapter: SourceAdapter,
  body: unknown,
  options: {
    config?: ConstructorParameters<typeof ConfigReader>[0];
    headers?: Record<string, string>;
  } = {},
): SourceMapping {
  return adapter.map(
    { body, headers: options.headers ?? {}, receivedAt: RECEIVED_AT },
    { config: new ConfigReader(options.config ?? {}) },
  );
}

/** The events of a mapping, failing the test when it is anything else. */
export function eventsOf(mapping: SourceMapping) {
  if (mapping.kind !== 'events') {
    throw new Error(`expected events, got ${JSON.stringify(mapping)}`);
  }
  return mapping.events;
}
