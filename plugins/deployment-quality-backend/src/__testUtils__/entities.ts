import { Entity } from '@backstage/catalog-model';
import { SERVICE_ID_ANNOTATION } from '@deployment-quality/plugin-deployment-quality-common';

/** A service component, linked by annotation when `serviceId` is given. */
export function serviceEntity(
  name: string,
  options: { serviceId?: string; title?: string; owner?: string } = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      ...(options.title ? { title: options.title } : {}),
      ...(options.serviceId
        ? { annotations: { [SERVICE_ID_ANNOTATION]: options.serviceId } }
        : {}),
    },
    spec: {
      type: 'service',
      owner: options.owner ?? 'team-a',
      lifecycle: 'production',
    },
    // As the catalog's processing adds it: roll-ups and permission rules read it.
    relations: [
      {
        type: 'ownedBy',
        targetRef: `group:default/${options.owner ?? 'team-a'}`,
      },
    ],
  };
}

/** A team that owns Components. */
export function groupEntity(name: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name },
    spec: { type: 'team', children: [] },
  };
}

/** A user and the groups they are a member of. */
export function userEntity(name: string, memberOf: string[]): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name },
    spec: { memberOf },
  };
}
