export { deploymentQualityPlugin, DeploymentQualityPage } from './plugin';
