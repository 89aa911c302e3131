import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  RELATION_HAS_PART,
  RELATION_OWNED_BY,
  RELATION_PART_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { deploymentQualityReadPermission } from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { chunks } from '../database/chunks';
import { CatalogIndex, IndexedService, serviceIdOf } from './CatalogIndex';
import { entityPredicate } from './entityConditions';
import { SEES_ALL, Visibility } from './Visibility';

/** What one caller may do, as the permission framework last said. */
type Access = {
  at: number;
  /** The plugin's read permission (cluster-wide views). */
  reader: Promise<boolean>;
  /** `catalog.entity.read`, conditions unresolved. */
  entities: Promise<PolicyDecision>;
};

/** Callers and sets remembered at most, oldest dropped first. */
const MAX_CALLERS = 10_000;
const MAX_SETS = 256;
/** A set in use is marked used this often; unused ones go after a day. */
const TOUCH_MS = 60 * 60_000;
const SET_UNUSED_MS = 24 * 60 * 60_000;
const PAGE = 500;
/** Services a Group, System or Domain page rolls up at most. */
const ROLLUP_LIMIT = 500;

function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number) {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}

function principalKey(credentials: BackstageCredentials): string | undefined {
  const p = credentials.principal as {
    type?: string;
    userEntityRef?: string;
    subject?: string;
  };
  if (p.type === 'user' && p.userEntityRef) return `user:${p.userEntityRef}`;
  if (p.type === 'service' && p.subject) return `service:${p.subject}`;
  return undefined;
}

/**
 * Works out once per caller, and reuses for `cacheMs`, what the caller may
 * see: the plugin's read permission and the catalog's decision on
 * `catalog.entity.read`. A conditional decision is evaluated against the
 * local catalog index with the catalog's own rules (or, for a rule a
 * catalog module added, by reading the catalog with the caller's
 * credentials), giving the set of services hidden from the caller. Callers
 * with the same decision share one stored set. Nothing here grows per
 * request with the fleet; a set is computed once per (decision, index
 * generation).
 */
export class VisibilityResolver {
  private readonly callers = new Map<string, Access>();
  private readonly sets = new Map<
    string,
    { touched: number; visibility: Promise<Visibility> }
  >();

  constructor(
    private readonly options: {
      db: Knex;
      permissions: PermissionsService;
      catalog: CatalogService;
      index: CatalogIndex;
      /** How long a caller's permission decisions are reused. */
      cacheMs: number;
    },
  ) {}

  /**
   * The visibility of a caller of the cluster-wide views, which need the
   * plugin's read permission (403 without).
   */
  async reader(credentials: BackstageCredentials): Promise<Visibility> {
    const access = this.access(credentials);
    if (!(await access.reader)) {
      throw new NotAllowedError(
        `Missing permission ${deploymentQualityReadPermission.name}`,
      );
    }
    return this.visibility(credentials, access);
  }

  /** Whether the caller has the plugin's read permission. */
  mayRead(credentials: BackstageCredentials): Promise<boolean> {
    return this.access(credentials).reader;
  }

  /** NotFoundError unless the service is visible: the same 404 as a missing one. */
  async assertVisible(visibility: Visibility, serviceId: string) {
    if (visibility.all) return;
    const hidden = await this.options
      .db('dq_hidden_services')
      .where({ set_key: visibility.hiddenSet, service_id: serviceId })
      .first();
    if (hidden) throw new NotFoundError(`No service ${serviceId}`);
  }

  /**
   * The service of a catalog Component the caller may read. Any other kind,
   * and a Component the caller may not read, answers 404 like a missing
   * one, so its existence doesn't leak.
   */
  async resolveEntity(
    ref: { namespace: string; kind: string; name: string },
    credentials: BackstageCredentials,
  ): Promise<{ entityRef: string; serviceId: string }> {
    const entityRef = stringifyEntityRef(ref);
    // Made only when thrown: capturing a stack on every request costs.
    const notFound = () => new NotFoundError(`No entity ${entityRef}`);
    if (ref.kind.toLowerCase() !== 'component') throw notFound();
    const [indexed, decision] = await Promise.all([
      this.options.index.byEntityRef(entityRef),
      this.access(credentials).entities,
    ]);
    if (indexed) {
      const visible = this.locally(decision, indexed.entity);
      if (visible === false) throw notFound();
      if (visible) return { entityRef, serviceId: indexed.serviceId };
    }
    // Not linked (yet), or a rule only the catalog knows: ask it.
    const entity = await this.options.catalog.getEntityByRef(entityRef, {
      credentials,
    });
    if (!entity || entity.kind.toLowerCase() !== 'component') throw notFound();
    return {
      entityRef: stringifyEntityRef(entity),
      serviceId: serviceIdOf(entity),
    };
  }

  /**
   * The Components a Group owns, a System holds or a Domain's Systems hold,
   * among those the caller may read: at most {@link ROLLUP_LIMIT}, and
   * whether there were more. The Group, System or Domain itself must be
   * readable by the caller (404 as for a missing one otherwise).
   */
  async resolveRollup(
    ref: { namespace: string; kind: string; name: string },
    credentials: BackstageCredentials,
  ): Promise<{
    entityRef: string;
    members: IndexedService[];
    truncated: boolean;
  }> {
    const entityRef = stringifyEntityRef(ref);
    const kind = ref.kind.toLowerCase();
    const notFound = new NotFoundError(`No entity ${entityRef}`);
    if (!['group', 'system', 'domain'].includes(kind)) throw notFound;
    const [entity, decision] = await Promise.all([
      this.options.catalog.getEntityByRef(entityRef, { credentials }),
      this.access(credentials).entities,
    ]);
    if (!entity) throw notFound;
    const { members, truncated } = await this.options.index.members(
      kind === 'group' ? RELATION_OWNED_BY : RELATION_PART_OF,
      kind === 'domain'
        ? (entity.relations ?? [])
            .filter(r => r.type === RELATION_HAS_PART)
            .map(r => r.targetRef)
        : [entityRef],
      ROLLUP_LIMIT,
    );
    const verdicts = members.map(m => this.locally(decision, m.entity));
    if (verdicts.every(v => v !== undefined)) {
      return {
        entityRef,
        members: members.filter((_, i) => verdicts[i]),
        truncated,
      };
    }
    // A rule only the catalog knows: it says which of them the caller reads.
    const { items } = await this.options.catalog.getEntitiesByRefs(
      {
        entityRefs: members.map(m => m.entityRef),
        fields: ['kind', 'metadata.name', 'metadata.namespace'],
      },
      { credentials },
    );
    const readable = new Set(
      items.flatMap(e => (e ? [stringifyEntityRef(e)] : [])),
    );
    return {
      entityRef,
      members: members.filter(m => readable.has(m.entityRef)),
      truncated,
    };
  }

  /** Whether the decision allows the entity, or undefined if only the catalog can tell. */
  private locally(decision: PolicyDecision, entity: Entity) {
    if (decision.result === AuthorizeResult.ALLOW) return true;
    if (decision.result === AuthorizeResult.DENY) return false;
    return 'conditions' in decision
      ? entityPredicate(decision.conditions)?.(entity)
      : undefined;
  }

  private access(credentials: BackstageCredentials): Access {
    const key = principalKey(credentials);
    const cached = key ? this.callers.get(key) : undefined;
    if (cached && Date.now() - cached.at < this.options.cacheMs) return cached;
    const { permissions } = this.options;
    const access: Access = {
      at: Date.now(),
      reader: permissions
        .authorize([{ permission: deploymentQualityReadPermission }], {
          credentials,
        })
        .then(([d]) => d.result === AuthorizeResult.ALLOW),
      entities: permissions
        .authorizeConditional([{ permission: catalogEntityReadPermission }], {
          credentials,
        })
        .then(([d]) => d),
    };
    if (key) {
      remember(this.callers, key, access, MAX_CALLERS);
      // A failed decision is asked again by the next request.
      Promise.all([access.reader, access.entities]).catch(() => {
        if (this.callers.get(key) === access) this.callers.delete(key);
      });
    }
    return access;
  }

  private async visibility(
    credentials: BackstageCredentials,
    access: Access,
  ): Promise<Visibility> {
    const decision = await access.entities;
    if (decision.result === AuthorizeResult.ALLOW) return SEES_ALL;
    // New services are linked before a set is worked out without them.
    await this.options.index.settled();
    const generation = await this.options.index.generation();
    const predicate =
      'conditions' in decision
        ? entityPredicate(decision.conditions)
        : () => false;
    // A catalog-only rule depends on the caller, not only on the decision.
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          generation,
          decision,
          predicate ? null : principalKey(credentials) ?? String(access.at),
        ]),
      )
      .digest('hex');
    const cached = this.sets.get(key);
    if (cached && Date.now() - cached.touched < TOUCH_MS) {
      return cached.visibility;
    }
    const visibility = (async () => {
      const { services } = await this.options.index.services();
      const visible = predicate ?? (await this.readableByCaller(credentials));
      const hidden = services
        .filter(s => !visible(s.entity))
        .map(s => s.serviceId);
      return this.stored(hidden);
    })();
    remember(this.sets, key, { touched: Date.now(), visibility }, MAX_SETS);
    visibility.catch(() => {
      if (this.sets.get(key)?.visibility === visibility) this.sets.delete(key);
    });
    return visibility;
  }

  /** The Components the caller may read, as the catalog itself answers. */
  private async readableByCaller(
    credentials: BackstageCredentials,
  ): Promise<(entity: Entity) => boolean> {
    const refs = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.options.catalog.queryEntities(
        cursor
          ? { cursor, limit: PAGE }
          : {
              filter: { kind: 'Component' },
              fields: ['kind', 'metadata.name', 'metadata.namespace'],
              limit: PAGE,
            },
        { credentials },
      );
      page.items.forEach(e => refs.add(stringifyEntityRef(e)));
      cursor = page.pageInfo.nextCursor;
    } while (cursor);
    return entity => refs.has(stringifyEntityRef(entity));
  }

  /**
   * The stored set of these hidden services, named by its content; written
   * (members, then the marker, in one transaction) when no caller needed it
   * before.
   */
  private async stored(hidden: string[]): Promise<Visibility> {
    if (hidden.length === 0) return SEES_ALL;
    const sorted = [...hidden].sort();
    const setKey = createHash('sha256')
      .update(JSON.stringify(sorted))
      .digest('hex')
      .slice(0, 40);
    const { db } = this.options;
    const now = Date.now();
    const touched = await db('dq_visibility_sets')
      .where({ set_key: setKey })
      .update({ used_at: now });
    if (!touched) {
      await db.transaction(async tx => {
        for (const chunk of chunks(sorted, 500)) {
          await tx('dq_hidden_services')
            .insert(chunk.map(service_id => ({ set_key: setKey, service_id })))
            .onConflict(['set_key', 'service_id'])
            .ignore();
        }
        await tx('dq_visibility_sets')
          .insert({ set_key: setKey, size: sorted.length, used_at: now })
          .onConflict('set_key')
          .merge({ used_at: now });
      });
    }
    return { all: false, hiddenSet: setKey };
  }

  /** Drops the sets no caller used for a day. */
  async prune(now = Date.now()): Promise<number> {
    const { db } = this.options;
    const stale: Array<{ set_key: string }> = await db('dq_visibility_sets')
      .where('used_at', '<', now - SET_UNUSED_MS)
      .select('set_key');
    let dropped = 0;
    for (const { set_key } of stale) {
      // Only if still unused: a caller that touched it meanwhile keeps it.
      dropped += await db.transaction(async tx => {
        const gone = await tx('dq_visibility_sets')
          .where({ set_key })
          .where('used_at', '<', now - SET_UNUSED_MS)
          .delete();
        if (gone) await tx('dq_hidden_services').where({ set_key }).delete();
        return gone;
      });
    }
    return dropped;
  }
}
