import { Entity } from '@backstage/catalog-model';
import { SERVICE_ID_ANNOTATION } from '@deployment-quality/plugin-deployment-quality-common';

/**
 * Whether an entity's page should show the Deployments and Quality tabs and
 * the deployment card: it has the `deployment-quality/service-id` annotation,
 * or it is a Component of type `service` (the backend links those by name
 * when the annotation is absent).
 *
 * Entity-page predicates are synchronous, so this can't ask the backend
 * whether data exists: an entity that passes but has no deployments yet sees
 * guidance on reporting them instead of empty tables.
 *
 * @public
 */
export function isDeploymentQualityAvailable(entity: Entity): boolean {
  if (entity.metadata.annotations?.[SERVICE_ID_ANNOTATION]) return true;
  return (
    entity.kind.toLocaleLowerCase('en-US') === 'component' &&
    entity.spec?.type === 'service'
  );
}

/**
 * Whether an entity's page should show the roll-up of its services: a Group
 * (the Components it owns), a System (its Components) or a Domain (the
 * Components of its Systems).
 *
 * @public
 */
export function isDeploymentQualityRollupAvailable(entity: Entity): boolean {
  return ['group', 'system', 'domain'].includes(
    entity.kind.toLocaleLowerCase('en-US'),
  );
}
