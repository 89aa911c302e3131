import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Reading the cluster-wide views: clusters, services across the catalog,
 * attempt lists, builds, analytics and diagnostics. Entity-keyed routes are
 * governed by catalog read access to the entity instead.
 * @public
 */
export const deploymentQualityReadPermission = createPermission({
  name: 'deployment-quality.read',
  attributes: { action: 'read' },
});

/** @public */
export const deploymentQualityPermissions = [deploymentQualityReadPermission];
