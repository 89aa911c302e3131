/**
 * Deployment & Quality frontend: entity tabs and card, and a standalone page,
 * for Backstage's classic frontend system. The new frontend system's plugin
 * is the default export of `@internal/plugin-deployment-quality/alpha`.
 *
 * @packageDocumentation
 */
export {
  deploymentQualityPlugin,
  DeploymentQualityPage,
  EntityDeploymentsContent,
  EntityQualityContent,
  EntityDeploymentQualityCard,
  EntityDeploymentQualityRollupContent,
} from './plugin';
export {
  isDeploymentQualityAvailable,
  isDeploymentQualityRollupAvailable,
} from './predicate';
export {
  rootRouteRef,
  clusterRouteRef,
  buildRouteRef,
  analyticsRouteRef,
  scorecardRouteRef,
} from './routes';
export {
  deploymentQualityApiRef,
  DeploymentQualityClient,
} from './api/DeploymentQualityApi';
export type {
  DeploymentQualityApi,
  AttemptListOptions,
} from './api/DeploymentQualityApi';
