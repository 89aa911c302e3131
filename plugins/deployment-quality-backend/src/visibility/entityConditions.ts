import { Entity } from '@backstage/catalog-model';
import { permissionRules } from '@backstage/plugin-catalog-backend/alpha';
import {
  PermissionCondition,
  PermissionCriteria,
} from '@backstage/plugin-permission-common';
import {
  isAndCriteria,
  isNotCriteria,
  isOrCriteria,
} from '@backstage/plugin-permission-node';

/**
 * The catalog's own rules, so a conditional `catalog.entity.read` decision
 * means here exactly what it means in the catalog.
 */
const rules = new Map<string, { apply(entity: Entity, params: any): boolean }>(
  Object.values(permissionRules).map(rule => [rule.name, rule]),
);

/**
 * A predicate on entities for a conditional decision, or undefined when it
 * names a rule we don't know (one a catalog module added): the caller then
 * asks the catalog itself.
 */
export function entityPredicate(
  conditions: PermissionCriteria<PermissionCondition>,
): ((entity: Entity) => boolean) | undefined {
  if (isAndCriteria(conditions)) {
    const parts = conditions.allOf.map(entityPredicate);
    if (parts.some(p => !p)) return undefined;
    return entity => parts.every(p => p!(entity));
  }
  if (isOrCriteria(conditions)) {
    const parts = conditions.anyOf.map(entityPredicate);
    if (parts.some(p => !p)) return undefined;
    return entity => parts.some(p => p!(entity));
  }
  if (isNotCriteria(conditions)) {
    const part = entityPredicate(conditions.not);
    return part && (entity => !part(entity));
  }
  const rule = rules.get(conditions.rule);
  if (!rule || conditions.resourceType !== 'catalog-entity') return undefined;
  return entity => rule.apply(entity, conditions.params ?? {});
}
