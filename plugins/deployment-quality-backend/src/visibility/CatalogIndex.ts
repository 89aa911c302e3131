import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import {
  Entity,
  RELATION_OWNED_BY,
  RELATION_PART_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { SERVICE_ID_ANNOTATION } from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { chunks } from '../database/chunks';

/** The service id an entity reports under: its annotation, else its name. */
export function serviceIdOf(entity: Entity): string {
  return (
    entity.metadata.annotations?.[SERVICE_ID_ANNOTATION] ?? entity.metadata.name
  );
}

/** A service's catalog Component. */
export interface ServiceLink {
  entityRef: string;
  title: string;
}

/** A linked service with what the catalog's permission rules read of it. */
export interface IndexedService extends ServiceLink {
  serviceId: string;
  entity: Entity;
}

/** Page size of a catalog read, and ids per lookup URL. */
const PAGE = 500;
const LOOKUP_IDS = 50;
/** How often the generation is re-read (another replica may have synced). */
const GENERATION_TTL_MS = 1_000;

/** Only what permission rules and the roll-ups read: bounded per entity. */
function trimmed(entity: Entity): Entity {
  return {
    apiVersion: entity.apiVersion,
    kind: entity.kind,
    metadata: entity.metadata,
    ...(entity.spec ? { spec: entity.spec } : {}),
    relations: (entity.relations ?? []).filter(
      r => r.type === RELATION_OWNED_BY || r.type === RELATION_PART_OF,
    ),
  };
}

/**
 * One entity per service id: an annotation beats the name fallback, then the
 * default namespace, then the smaller ref, so every replica picks the same.
 */
function linksOf(entities: Entity[]): Map<string, IndexedService> {
  const rank = (e: Entity) =>
    [
      e.metadata.annotations?.[SERVICE_ID_ANNOTATION] ? 0 : 1,
      (e.metadata.namespace ?? 'default') === 'default' ? 0 : 1,
    ].join('') + stringifyEntityRef(e);
  const byService = new Map<string, IndexedService>();
  for (const entity of [...entities].sort((a, b) =>
    rank(a).localeCompare(rank(b)),
  )) {
    if (entity.kind.toLowerCase() !== 'component') continue;
    const serviceId = serviceIdOf(entity);
    if (byService.has(serviceId)) continue;
    byService.set(serviceId, {
      serviceId,
      entityRef: stringifyEntityRef(entity),
      title: entity.metadata.title ?? entity.metadata.name,
      entity: trimmed(entity),
    });
  }
  return byService;
}

type Row = {
  service_id: string;
  entity_ref: string;
  title: string;
  entity: string;
};

const toRow = (s: IndexedService): Row => ({
  service_id: s.serviceId,
  entity_ref: s.entityRef,
  title: s.title,
  entity: JSON.stringify(s.entity),
});

/**
 * The local copy of the service ↔ catalog Component links
 * (dq_catalog_services), read with the plugin's own credentials: refreshed
 * by `sync()` on a schedule and, for services that report before the next
 * sync, by `linkUnknown()`. Reads never call the catalog for links.
 */
export class CatalogIndex {
  private cachedGeneration?: { value: number; at: number };
  private parsed?: {
    generation: number;
    services: IndexedService[];
    byRef: Map<string, IndexedService>;
  };
  private firstSync?: Promise<void>;

  constructor(
    private readonly options: {
      db: Knex;
      /** Where the fleet-sized reads go (readerFor); default: db. */
      reads?: Knex;
      catalog: CatalogService;
      auth: AuthService;
      logger: LoggerService;
    },
  ) {}

  /** Reads every Component and brings the table to match. */
  async sync(): Promise<void> {
    const { catalog, auth, db, logger } = this.options;
    const credentials = await auth.getOwnServiceCredentials();
    const entities: Entity[] = [];
    let cursor: string | undefined;
    do {
      const page = await catalog.queryEntities(
        cursor
          ? { cursor, limit: PAGE }
          : {
              filter: { kind: 'Component' },
              fields: ['apiVersion', 'kind', 'metadata', 'spec', 'relations'],
              limit: PAGE,
            },
        { credentials },
      );
      entities.push(...page.items);
      cursor = page.pageInfo.nextCursor;
    } while (cursor);
    const wanted = linksOf(entities);

    const changed = await db.transaction(async tx => {
      const have = new Map<string, Row>(
        ((await tx('dq_catalog_services').select()) as Row[]).map(r => [
          r.service_id,
          r,
        ]),
      );
      const upserts = [...wanted.values()].map(toRow).filter(row => {
        const old = have.get(row.service_id);
        return (
          !old ||
          old.entity_ref !== row.entity_ref ||
          old.title !== row.title ||
          old.entity !== row.entity
        );
      });
      const gone = [...have.keys()].filter(id => !wanted.has(id));
      for (const chunk of chunks(upserts, 100)) {
        await tx('dq_catalog_services')
          .insert(chunk)
          .onConflict('service_id')
          .merge();
      }
      for (const chunk of chunks(gone, 500)) {
        await tx('dq_catalog_services').whereIn('service_id', chunk).delete();
      }
      await this.bump(tx, upserts.length + gone.length > 0);
      return upserts.length + gone.length;
    });
    // A service without an entity may have gained one: look again.
    this.lookedUp.clear();
    await this.linkUnknown();
    if (changed) {
      logger.info(
        `Catalog index: ${wanted.size} services linked, ${changed} changed`,
      );
    }
  }

  private pending = new Set<string>();
  private lookup?: Promise<void>;
  private readonly lookedUp = new Set<string>();

  /**
   * Links services that just appeared (the store calls this after the
   * commit), so they are hidden from those who may not read their Component
   * within the lookup's round trip instead of at the next sync. Lookups
   * queue behind each other; each id is asked once per sync.
   */
  link(serviceIds: string[]): Promise<void> {
    serviceIds.forEach(id => this.pending.add(id));
    this.lookup ??= (async () => {
      while (this.pending.size > 0) {
        const ids = [...this.pending];
        this.pending.clear();
        await this.lookUp(ids).catch(error =>
          this.options.logger.warn(
            `Catalog lookup of ${ids.length} new services failed; the next sync links them: ${error}`,
          ),
        );
      }
    })().finally(() => {
      this.lookup = undefined;
    });
    return this.lookup;
  }

  /** Resolves when the lookups queued so far on this replica are done. */
  settled(): Promise<void> {
    return this.lookup ?? Promise.resolve();
  }

  private async lookUp(serviceIds: string[]): Promise<void> {
    const { db, catalog, auth } = this.options;
    // Before the first sync, which links them all in one pass (and which
    // every read waits for), there is nothing to add to.
    if (!(await db('dq_catalog_index').where({ id: 1 }).first())) return;
    const linked = new Set<string>();
    for (const chunk of chunks(serviceIds, 500)) {
      const rows = await db('dq_catalog_services')
        .whereIn('service_id', chunk)
        .pluck('service_id');
      rows.forEach((id: string) => linked.add(id));
    }
    const ids = serviceIds.filter(
      id => !linked.has(id) && !this.lookedUp.has(id),
    );
    if (ids.length === 0) return;
    const credentials = await auth.getOwnServiceCredentials();
    const found: Entity[] = [];
    for (const chunk of chunks(ids, LOOKUP_IDS)) {
      const { items } = await catalog.getEntities(
        {
          filter: [
            {
              kind: 'Component',
              [`metadata.annotations.${SERVICE_ID_ANNOTATION}`]: chunk,
            },
            { kind: 'Component', 'metadata.name': chunk },
          ],
          fields: ['apiVersion', 'kind', 'metadata', 'spec', 'relations'],
        },
        { credentials },
      );
      found.push(...items);
      chunk.forEach(id => this.lookedUp.add(id));
    }
    const wanted = new Set(ids);
    const links = [...linksOf(found).values()].filter(s =>
      wanted.has(s.serviceId),
    );
    if (links.length === 0) return;
    await db.transaction(async tx => {
      for (const chunk of chunks(links.map(toRow), 100)) {
        await tx('dq_catalog_services')
          .insert(chunk)
          .onConflict('service_id')
          .ignore();
      }
      await this.bump(tx, true);
    });
  }

  /** Services reported while no replica was looking (at start, after a sync). */
  private async linkUnknown(): Promise<void> {
    const { db } = this.options;
    const ids: string[] = await db('dq_service_clusters as sc')
      .distinct('sc.service_id')
      .whereNotExists(
        db('dq_catalog_services as c')
          .select(db.raw('1'))
          .where('c.service_id', db.ref('sc.service_id')),
      )
      .pluck('sc.service_id');
    await this.link(ids.filter(id => !this.lookedUp.has(id)));
  }

  private async bump(tx: Knex.Transaction, changed: boolean) {
    const now = Date.now();
    const updated = await tx('dq_catalog_index')
      .where({ id: 1 })
      .update({
        synced_at: now,
        ...(changed ? { generation: tx.raw('generation + 1') } : {}),
      });
    if (!updated) {
      await tx('dq_catalog_index')
        .insert({ id: 1, generation: 1, synced_at: now })
        .onConflict('id')
        .merge({
          synced_at: now,
          generation: tx.raw('dq_catalog_index.generation + 1'),
        });
    }
    this.cachedGeneration = undefined;
  }

  /**
   * The index's generation, which moves whenever a link does; the first
   * call on an empty index syncs it, so nothing is visible by accident
   * before the links are known.
   */
  async generation(): Promise<number> {
    const cached = this.cachedGeneration;
    if (cached && Date.now() - cached.at < GENERATION_TTL_MS) {
      return cached.value;
    }
    let row = await this.options
      .db('dq_catalog_index')
      .where({ id: 1 })
      .first();
    if (!row) {
      this.firstSync ??= this.sync().finally(() => {
        this.firstSync = undefined;
      });
      await this.firstSync;
      row = await this.options.db('dq_catalog_index').where({ id: 1 }).first();
    }
    const value = Number(row.generation);
    this.cachedGeneration = { value, at: Date.now() };
    return value;
  }

  /** Every linked service, parsed once per generation. */
  async services(): Promise<{
    generation: number;
    services: IndexedService[];
  }> {
    const generation = await this.generation();
    return this.parsedAt(generation);
  }

  private async parsedAt(generation: number) {
    if (this.parsed?.generation !== generation) {
      const rows: Row[] = await this.options.db('dq_catalog_services').select();
      const services = rows.map(r => ({
        serviceId: r.service_id,
        entityRef: r.entity_ref,
        title: r.title,
        entity: JSON.parse(r.entity),
      }));
      this.parsed = {
        generation,
        services,
        byRef: new Map(services.map(s => [s.entityRef, s])),
      };
    }
    return this.parsed;
  }

  /**
   * The linked Components whose `relation` (ownedBy, partOf) names one of
   * `targets`, at most `limit` of them (by service id), and whether there
   * were more.
   */
  async members(
    relation: typeof RELATION_OWNED_BY | typeof RELATION_PART_OF,
    targets: string[],
    limit: number,
  ): Promise<{ members: IndexedService[]; truncated: boolean }> {
    const { services } = await this.services();
    const wanted = new Set(targets);
    const members = services
      .filter(s =>
        s.entity.relations?.some(
          r => r.type === relation && wanted.has(r.targetRef),
        ),
      )
      .sort((a, b) => a.serviceId.localeCompare(b.serviceId));
    return {
      members: members.slice(0, limit),
      truncated: members.length > limit,
    };
  }

  /** The links of the given services (one page of them). */
  async links(serviceIds: string[]): Promise<Map<string, ServiceLink>> {
    await Promise.all([this.generation(), this.settled()]);
    const links = new Map<string, ServiceLink>();
    for (const chunk of chunks([...new Set(serviceIds)], 500)) {
      const rows: Row[] = await (this.options.reads ?? this.options.db)(
        'dq_catalog_services',
      )
        .whereIn('service_id', chunk)
        .select('service_id', 'entity_ref', 'title');
      for (const r of rows) {
        links.set(r.service_id, { entityRef: r.entity_ref, title: r.title });
      }
    }
    return links;
  }

  /**
   * The service a Component links, with what rules read of it: from the
   * parsed index (every entity page asks; the generation is re-read at most
   * once a second), so a link made in the last second may be missed, and
   * the caller then asks the catalog.
   */
  async byEntityRef(entityRef: string): Promise<IndexedService | undefined> {
    const { byRef } = await this.parsedAt(await this.generation());
    return byRef.get(entityRef);
  }
}
