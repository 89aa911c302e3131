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

/**
 * Operating the plugin: moving dead-lettered messages back to the queue.
 * @public
 */
export const deploymentQualityAdminPermission = createPermission({
  name: 'deployment-quality.admin',
  attributes: { action: 'update' },
});

/**
 * Quarantining a service's test, and lifting a quarantine, from the UI.
 * @public
 */
export const deploymentQualityQuarantinePermission = createPermission({
  name: 'deployment-quality.quarantine',
  attributes: { action: 'update' },
});

/** @public */
export const deploymentQualityPermissions = [
  deploymentQualityReadPermission,
  deploymentQualityAdminPermission,
  deploymentQualityQuarantinePermission,
];
