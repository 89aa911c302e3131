import {
  AuthService,
  coreServices,
  createBackendModule,
  createServiceFactory,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  DEFAULT_NAMESPACE,
  Entity,
  parseEntityRef,
  RELATION_CHILD_OF,
  RELATION_HAS_MEMBER,
  RELATION_HAS_PART,
  RELATION_MEMBER_OF,
  RELATION_OWNED_BY,
  RELATION_OWNER_OF,
  RELATION_PARENT_OF,
  RELATION_PART_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import permissionPlugin from '@backstage/plugin-permission-backend';
import {
  AuthorizeResult,
  isPermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { JsonObject } from '@backstage/types';
import { deploymentQualityReadPermission } from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import request from 'supertest';
import { deploymentQualityPlugin } from '../plugin';
import { mergeConfig } from './mergeConfig';

/** Reads every catalog entity; everyone else reads only what they own. */
export const ADMIN_USER = 'user:default/admin';

/** The webhook key the harness configures (`X-Webhook-Secret`). */
export const WEBHOOK_SECRET = 'real-backends-secret-0123456789';

const PLUGIN_ID = 'deployment-quality';

type Features = NonNullable<Parameters<typeof startTestBackend>[0]['features']>;

export interface RealBackendsOptions {
  /** Our plugin's database; the catalog gets an in-memory SQLite of its own. */
  knex: Knex;
  /** Served to the catalog by an entity provider, and the source of users' group memberships. */
  entities: Entity[];
  /** Merged over the harness's `deploymentQuality` config. */
  config?: JsonObject;
  /** More plugins and modules; service factories the harness sets conflict. */
  features?: Features;
}

export interface RealBackends {
  server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  stop(): Promise<void>;
  /** Headers that authenticate a request as the given user. */
  userHeader(userRef: string): Record<string, string>;
  /**
   * Resolves once every given entity is readable with all the relations its
   * spec implies (`ownedBy`, `memberOf`, ... and their reverses).
   */
  waitForCatalog(options?: { timeoutMs?: number }): Promise<void>;
}

/**
 * Our plugin next to the real catalog and the real permission backend, with
 * a policy under which a user reads only the catalog entities they own.
 */
export async function startRealBackends(
  options: RealBackendsOptions,
): Promise<RealBackends> {
  const { knex, entities, config = {}, features = [] } = options;
  const backend = await startTestBackend({
    features: [
      deploymentQualityPlugin,
      catalogPlugin,
      permissionPlugin,
      entityProviderModule(entities),
      ownershipPolicyModule(),
      databaseFactory(knex),
      userInfoFactory(entities),
      actorAwareAuthFactory(),
      // Without a token a request is anonymous, not the mock default user.
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
      // The default today, named so no mock that allows everything creeps in.
      permissionsServiceFactory,
      mockServices.rootConfig.factory({
        data: {
          // The notifications backend links to the app.
          app: { baseUrl: 'http://localhost:3000' },
          permission: { enabled: true },
          // Where the actions service (with its real factory) finds actions.
          backend: { actions: { pluginSources: ['deployment-quality'] } },
          catalog: {
            // Entities are static: reprocessing them only competes with the
            // first pass for the single SQLite connection (2,000 entities
            // took half as long again with a 1 s interval).
            processingInterval: { minutes: 30 },
            // An idle stitcher looks for work every second by default: most
            // of the wait for a handful of entities.
            stitchingStrategy: { pollingInterval: { milliseconds: 50 } },
          },
          deploymentQuality: mergeConfig(
            {
              // Fixtures are dated: keep them inside the retention window.
              retention: { days: 36500 },
              ingestion: {
                webhook: { keys: [{ name: 'test', secret: WEBHOOK_SECRET }] },
              },
            },
            config,
          ),
        },
      }),
      ...features,
    ],
  });
  const { server } = backend;
  return {
    server,
    stop: () => backend.stop(),
    userHeader: userRef => ({
      Authorization: mockCredentials.user.header(userRef),
    }),
    waitForCatalog: ({ timeoutMs = 60_000 } = {}) =>
      waitForEntities(server, entities, timeoutMs),
  };
}

function entityProviderModule(entities: Entity[]) {
  const location = 'real-backends:entities';
  return createBackendModule({
    pluginId: 'catalog',
    moduleId: 'real-backends-entities',
    register(reg) {
      reg.registerInit({
        deps: { catalog: catalogProcessingExtensionPoint },
        async init({ catalog }) {
          catalog.addEntityProvider({
            getProviderName: () => 'real-backends',
            connect: connection =>
              connection.applyMutation({
                type: 'full',
                // The catalog computes relations itself; fixtures made for
                // the in-memory catalog carry them already.
                entities: entities.map(({ relations: _, ...entity }) => ({
                  locationKey: location,
                  entity: {
                    ...entity,
                    metadata: {
                      ...entity.metadata,
                      // Processing rejects entities without both.
                      annotations: {
                        ...entity.metadata.annotations,
                        [ANNOTATION_LOCATION]: location,
                        [ANNOTATION_ORIGIN_LOCATION]: location,
                      },
                    },
                  },
                })),
              }),
          });
        },
      });
    },
  });
}

class OwnershipPolicy implements PermissionPolicy {
  constructor(private readonly userInfo: UserInfoService) {}

  async handle(
    query: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (isPermission(query.permission, deploymentQualityReadPermission)) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (isPermission(query.permission, catalogEntityReadPermission)) {
      if (!user) return { result: AuthorizeResult.DENY };
      // The service rather than `user.info`, which is deprecated.
      const info = await this.userInfo.getUserInfo(user.credentials);
      if (info.userEntityRef === ADMIN_USER) {
        return { result: AuthorizeResult.ALLOW };
      }
      return createCatalogConditionalDecision(
        query.permission,
        catalogConditions.isEntityOwner({ claims: info.ownershipEntityRefs }),
      );
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

function ownershipPolicyModule() {
  return createBackendModule({
    pluginId: 'permission',
    moduleId: 'real-backends-policy',
    register(reg) {
      reg.registerInit({
        deps: { policy: policyExtensionPoint, userInfo: coreServices.userInfo },
        async init({ policy, userInfo }) {
          policy.setPolicy(new OwnershipPolicy(userInfo));
        },
      });
    },
  });
}

/**
 * Our plugin gets the given database (possibly PostgreSQL), every other
 * plugin an in-memory SQLite database managed the way Backstage's default
 * factory does it.
 */
function databaseFactory(knex: Knex) {
  return createServiceFactory({
    service: coreServices.database,
    deps: {
      rootLifecycle: coreServices.rootLifecycle,
      rootLogger: coreServices.rootLogger,
      lifecycle: coreServices.lifecycle,
      logger: coreServices.logger,
      pluginMetadata: coreServices.pluginMetadata,
    },
    createRootContext: ({ rootLifecycle, rootLogger }) =>
      DatabaseManager.fromConfig(
        mockServices.rootConfig({
          data: {
            backend: {
              database: { client: 'better-sqlite3', connection: ':memory:' },
            },
          },
        }),
        { rootLifecycle, rootLogger },
      ),
    factory: ({ pluginMetadata, lifecycle, logger }, manager) =>
      pluginMetadata.getId() === PLUGIN_ID
        ? mockServices.database({ knex })
        : manager.forPlugin(pluginMetadata.getId(), { lifecycle, logger }),
  });
}

/**
 * Ownership claims as sign-in would resolve them: the user and the groups
 * their User entity is a member of.
 */
function userInfoFactory(entities: Entity[]) {
  const claims = new Map<string, string[]>();
  for (const entity of entities) {
    if (entity.kind.toLocaleLowerCase('en-US') !== 'user') continue;
    const userRef = stringifyEntityRef(entity);
    const groups = refsAt(entity, 'memberOf', 'group');
    claims.set(userRef.toLocaleLowerCase('en-US'), [userRef, ...groups]);
  }
  return createServiceFactory({
    service: coreServices.userInfo,
    deps: { auth: coreServices.auth },
    factory: ({ auth }): UserInfoService => ({
      async getUserInfo(credentials) {
        if (!auth.isPrincipal(credentials, 'user')) {
          throw new InputError('User info is only available for users');
        }
        const userEntityRef = credentials.principal.userEntityRef;
        return {
          userEntityRef,
          ownershipEntityRefs: claims.get(
            userEntityRef.toLocaleLowerCase('en-US'),
          ) ?? [userEntityRef],
        };
      },
    }),
  });
}

/**
 * The mock auth service, except that a token a plugin requests on behalf of
 * a user names that plugin as the actor, as real plugin tokens do. The
 * permission backend refuses conditional queries from a user without an
 * actor (it takes them for a browser asking directly), so with the plain
 * mock every catalog read on a user's behalf would fail.
 */
function actorAwareAuthFactory() {
  return createServiceFactory({
    service: coreServices.auth,
    deps: {
      plugin: coreServices.pluginMetadata,
      config: coreServices.rootConfig,
    },
    factory({ plugin, config }): AuthService {
      const auth = mockServices.auth({
        pluginId: plugin.getId(),
        disableDefaultAuthPolicy: Boolean(
          config.getOptionalBoolean(
            'backend.auth.dangerouslyDisableDefaultAuthPolicy',
          ),
        ),
      });
      const issue = auth.getPluginRequestToken.bind(auth);
      return Object.assign(auth, {
        async getPluginRequestToken(
          tokenOptions: Parameters<AuthService['getPluginRequestToken']>[0],
        ) {
          const { onBehalfOf } = tokenOptions;
          if (!auth.isPrincipal(onBehalfOf, 'user')) return issue(tokenOptions);
          // A user token rather than a mock service token: only the former
          // carries an actor. The target plugin is not checked in exchange.
          return {
            token: mockCredentials.user.token(
              onBehalfOf.principal.userEntityRef,
              {
                actor: { subject: `plugin:${plugin.getId()}` },
              },
            ),
          };
        },
      });
    },
  });
}

interface SpecRelation {
  field: string;
  /** The kind a ref in the field defaults to. */
  kind: string;
  type: string;
  reverse: string;
}

const owner: SpecRelation = {
  field: 'owner',
  kind: 'group',
  type: RELATION_OWNED_BY,
  reverse: RELATION_OWNER_OF,
};
const partOf = (field: string, kind: string): SpecRelation => ({
  field,
  kind,
  type: RELATION_PART_OF,
  reverse: RELATION_HAS_PART,
});

/** The spec fields the catalog's built-in processor turns into relations. */
const SPEC_RELATIONS: Record<string, SpecRelation[]> = {
  component: [owner, partOf('system', 'system')],
  api: [owner, partOf('system', 'system')],
  resource: [owner, partOf('system', 'system')],
  system: [owner, partOf('domain', 'domain')],
  domain: [owner],
  user: [
    {
      field: 'memberOf',
      kind: 'group',
      type: RELATION_MEMBER_OF,
      reverse: RELATION_HAS_MEMBER,
    },
  ],
  group: [
    {
      field: 'parent',
      kind: 'group',
      type: RELATION_CHILD_OF,
      reverse: RELATION_PARENT_OF,
    },
    {
      field: 'children',
      kind: 'group',
      type: RELATION_PARENT_OF,
      reverse: RELATION_CHILD_OF,
    },
    {
      field: 'members',
      kind: 'user',
      type: RELATION_HAS_MEMBER,
      reverse: RELATION_MEMBER_OF,
    },
  ],
};

/** The refs in a spec field (a ref or a list of refs), fully qualified. */
function refsAt(entity: Entity, field: string, defaultKind: string): string[] {
  const value = entity.spec?.[field];
  const refs = Array.isArray(value) ? value : [value];
  return refs
    .filter((ref): ref is string => typeof ref === 'string')
    .map(ref =>
      stringifyEntityRef(
        parseEntityRef(ref, {
          defaultKind,
          defaultNamespace: entity.metadata.namespace ?? DEFAULT_NAMESPACE,
        }),
      ),
    );
}

/** Per entity ref, the `type target` relations it should end up with. */
function expectedRelations(entities: Entity[]): Map<string, Set<string>> {
  const key = (ref: string) => ref.toLocaleLowerCase('en-US');
  const expected = new Map(
    entities.map(e => [key(stringifyEntityRef(e)), new Set<string>()]),
  );
  for (const entity of entities) {
    const source = key(stringifyEntityRef(entity));
    for (const rel of SPEC_RELATIONS[key(entity.kind)] ?? []) {
      for (const target of refsAt(entity, rel.field, rel.kind).map(key)) {
        expected.get(source)!.add(`${rel.type} ${target}`);
        // The reverse lives on the target, which may not be served at all.
        expected.get(target)?.add(`${rel.reverse} ${source}`);
      }
    }
  }
  return expected;
}

async function waitForEntities(
  server: RealBackends['server'],
  entities: Entity[],
  timeoutMs: number,
): Promise<void> {
  const expected = expectedRelations(entities);
  const deadline = Date.now() + timeoutMs;
  // An entity once complete stays so (its relations are static): asking only
  // for the rest keeps the polls off the catalog's single SQLite connection.
  let pending = [...expected.keys()];
  for (;;) {
    // A service principal: the permission client lets those through without
    // asking the policy, so this sees every entity.
    const res = await request(server)
      .post('/api/catalog/entities/by-refs')
      .set('Authorization', mockCredentials.service.header())
      .send({ entityRefs: pending, fields: ['metadata.name', 'relations'] });
    if (res.status !== 200) {
      throw new Error(`Catalog answered ${res.status}: ${res.text}`);
    }
    const items: Array<Entity | null> = res.body.items;
    pending = pending.filter((ref, i) => {
      const have = new Set(
        (items[i]?.relations ?? []).map(
          r => `${r.type} ${r.targetRef.toLocaleLowerCase('en-US')}`,
        ),
      );
      return !items[i] || [...expected.get(ref)!].some(r => !have.has(r));
    });
    if (pending.length === 0) return;
    if (Date.now() > deadline) {
      const examples = pending.slice(0, 5).join(', ');
      throw new Error(
        `${pending.length} of ${expected.size} entities not processed within ${timeoutMs} ms, e.g. ${examples}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
}
