import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  BackendFeature,
  LoggerService,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { serviceEntity } from './entities';
import { deploymentQualityPlugin } from '../plugin';
import request from 'supertest';
import type { Server } from 'node:http';
import type { Knex } from 'knex';
import { mergeConfig } from './mergeConfig';

export const BASE = '/api/deployment-quality';
export const SECRET = 'test-secret-0123456789';

/** One line the plugin logged. */
export interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  meta?: unknown;
}

/** A logger that keeps every line, its children's included. */
export function capturingLogger(lines: LogLine[]): LoggerService {
  const at =
    (level: LogLine['level']) =>
    (message: string, meta?: unknown): void => {
      lines.push({ level, message, meta });
    };
  const logger: LoggerService = {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: () => logger,
  };
  return logger;
}

/** A started plugin backend of the tests. */
export interface PluginBackend {
  server: Server;
  knex: Knex;
  stop(): Promise<void>;
  /** Posts a body to the webhook with the configured key. */
  send(body: unknown): request.Test;
}

/**
 * The plugin on a fresh test database, with a webhook key, one configured
 * cluster and an in-memory catalog. `deny` takes the plugin's (and every
 * other) permission away; `logs`, when given, receives what the plugin
 * logs; `sqs` switches to queue mode; `config` is merged over the
 * `deploymentQuality` config; `features` adds plugins and modules.
 */
export async function startPluginBackend(
  databases: TestDatabases,
  databaseId: TestDatabaseId,
  options: {
    deny?: boolean;
    logs?: LogLine[];
    sqs?: Record<string, string | number | boolean>;
    config?: JsonObject;
    features?: BackendFeature[];
  } = {},
): Promise<PluginBackend> {
  const knex = await databases.init(databaseId);
  const { logs } = options;
  const backend = await startTestBackend({
    features: [
      deploymentQualityPlugin,
      mockServices.database.factory({ knex }),
      catalogServiceMock.factory({
        entities: [serviceEntity('authentication', { serviceId: 'authn' })],
      }),
      ...(options.deny
        ? [mockServices.permissions.factory({ result: AuthorizeResult.DENY })]
        : []),
      ...(logs
        ? [
            createServiceFactory({
              service: coreServices.logger,
              deps: {},
              factory: () => capturingLogger(logs),
            }),
          ]
        : []),
      ...(options.features ?? []),
      mockServices.rootConfig.factory({
        data: {
          deploymentQuality: mergeConfig(
            {
              // The fixtures are dated: keep them inside the retention window.
              retention: { days: 36500 },
              clusters: [{ id: 'mira-us-west-2', name: 'Mira US-West-2' }],
              ingestion: {
                webhook: { keys: [{ name: 'ci', secret: SECRET }] },
                ...(options.sqs ? { sqs: options.sqs } : {}),
              },
            },
            options.config ?? {},
          ),
        },
      }),
    ],
  });
  return {
    server: backend.server,
    knex,
    stop: () => backend.stop(),
    send: (body: unknown) =>
      request(backend.server)
        .post(`${BASE}/ingest/webhook`)
        .set('X-Webhook-Secret', SECRET)
        .send(body as object),
  };
}
