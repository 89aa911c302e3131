import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { deploymentQualityReadPermission } from '@internal/plugin-deployment-quality-common';

/**
 * A policy that denies the plugin's read permission and allows everything
 * else, catalog reads included: cluster-wide routes answer 403 while entity
 * routes still answer for the entities the caller reads.
 */
export function permissionsWithoutPluginRead() {
  const decide = (asked: { permission: { name: string } }) => ({
    result:
      asked.permission.name === deploymentQualityReadPermission.name
        ? AuthorizeResult.DENY
        : AuthorizeResult.ALLOW,
  });
  return createServiceFactory({
    service: coreServices.permissions,
    deps: {},
    factory: () => ({
      authorize: async (requests: any[]) => requests.map(decide),
      authorizeConditional: async (requests: any[]) => requests.map(decide),
    }),
  });
}
