import {
  AuthService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { SERVICE_ID_ANNOTATION } from '@internal/plugin-deployment-quality-common';

export interface ServiceLink {
  entityRef: string;
  title: string;
}

/** The service id an entity reports under: its annotation, else its name. */
export function serviceIdOf(entity: Entity): string {
  return (
    entity.metadata.annotations?.[SERVICE_ID_ANNOTATION] ?? entity.metadata.name
  );
}

/** What a caller may see of a set of services. */
export interface ServiceVisibility {
  /** Entities the caller can read, by service id. */
  links: Map<string, ServiceLink>;
  /** Services mapped to an entity the caller can't read: left out of lists. */
  hidden: Set<string>;
}

/** Maps between catalog entities and service ids, as the caller sees them. */
export class CatalogLinks {
  constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
  ) {}

  /**
   * Links the services to the entities the caller can read, and names the
   * services whose entity exists but is hidden from the caller (found with
   * this plugin's own credentials). Services mapped to no entity stay visible.
   */
  async visibility(
    serviceIds: string[],
    credentials: BackstageCredentials,
  ): Promise<ServiceVisibility> {
    const [links, all] = await Promise.all([
      this.linkServices(serviceIds, credentials),
      this.linkServices(serviceIds, await this.auth.getOwnServiceCredentials()),
    ]);
    const hidden = new Set([...all.keys()].filter(id => !links.has(id)));
    return { links, hidden };
  }

  /** NotFoundError unless the caller may see the service. */
  async assertVisible(
    serviceId: string,
    credentials: BackstageCredentials,
  ): Promise<void> {
    const { hidden } = await this.visibility([serviceId], credentials);
    if (hidden.has(serviceId))
      throw new NotFoundError(`No service ${serviceId}`);
  }

  /**
   * The entity's service id. An entity the caller may not read answers 404
   * exactly like a missing one, so its existence doesn't leak.
   */
  async resolveEntity(
    ref: { namespace: string; kind: string; name: string },
    credentials: BackstageCredentials,
  ): Promise<{ entityRef: string; serviceId: string }> {
    const entityRef = stringifyEntityRef(ref);
    const entity = await this.catalog.getEntityByRef(entityRef, {
      credentials,
    });
    if (!entity) {
      throw new NotFoundError(`No entity ${entityRef}`);
    }
    return {
      entityRef: stringifyEntityRef(entity),
      serviceId: serviceIdOf(entity),
    };
  }

  /** The entities (visible to the caller) that the given service ids belong to. */
  async linkServices(
    serviceIds: string[],
    credentials: BackstageCredentials,
  ): Promise<Map<string, ServiceLink>> {
    const links = new Map<string, ServiceLink>();
    if (serviceIds.length === 0) return links;
    const { items } = await this.catalog.getEntities(
      {
        filter: [
          { [`metadata.annotations.${SERVICE_ID_ANNOTATION}`]: serviceIds },
          { kind: 'Component', 'metadata.name': serviceIds },
        ],
        fields: [
          'kind',
          'metadata.name',
          'metadata.namespace',
          'metadata.title',
          'metadata.annotations',
        ],
      },
      { credentials },
    );
    const wanted = new Set(serviceIds);
    // Annotated entities first: an explicit link beats the name fallback.
    const ordered = [...items].sort(
      (a, b) =>
        Number(!a.metadata.annotations?.[SERVICE_ID_ANNOTATION]) -
        Number(!b.metadata.annotations?.[SERVICE_ID_ANNOTATION]),
    );
    for (const entity of ordered) {
      const serviceId = serviceIdOf(entity);
      if (!wanted.has(serviceId) || links.has(serviceId)) continue;
      links.set(serviceId, {
        entityRef: stringifyEntityRef(getCompoundEntityRef(entity)),
        title: entity.metadata.title ?? entity.metadata.name,
      });
    }
    return links;
  }
}
