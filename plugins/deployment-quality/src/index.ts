/**
 * Deployment & Quality frontend. The default export is the plugin for the new
 * frontend system: add the package to an app with `app.packages: all` and its
 * page, entity tabs and card appear. The named exports are the same views for
 * classic apps (`deploymentQualityPlugin`, the routable and entity
 * components).
 *
 * @packageDocumentation
 */
export { default } from './frontendPlugin';
export {
  deploymentQualityApi,
  deploymentQualityPage,
  entityDeploymentsContent,
  entityQualityContent,
  entityRollupContent,
  entityDeploymentQualityCard,
} from './frontendPlugin';
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
  ReadOptions,
} from './api/DeploymentQualityApi';
