import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { deploymentQualityPermissions } from '@deployment-quality/plugin-deployment-quality-common';

/**
 * A policy that denies the plugin's permissions (read, admin, quarantine) and allows
 * everything else, catalog reads included: cluster-wide and admin routes
 * answer 403 while entity routes still answer for the entities the caller
 * reads.
 */
export function permissionsWithoutPluginOnes() {
  const decide = (asked: { permission: { name: string } }) => ({
    result: deploymentQualityPermissions.some(
      p => p.name === asked.permission.name,
    )
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
