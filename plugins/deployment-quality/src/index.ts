export { deploymentQualityPlugin, EntityDeploymentsContent } from './plugin';
export {
  deploymentQualityApiRef,
  DeploymentQualityClient,
} from './api/DeploymentQualityApi';
export type {
  DeploymentQualityApi,
  AttemptListOptions,
} from './api/DeploymentQualityApi';
