export { deploymentQualityPlugin as default } from './plugin';
