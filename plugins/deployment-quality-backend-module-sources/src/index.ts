/**
 * Source adapters for the Deployment & Quality backend: GitHub, Argo CD,
 * Jenkins, Spinnaker and Kubernetes rollouts in their native formats, and
 * AWS Cost Explorer's daily costs. Install
 * them all with the default export, or one by one with the named modules.
 *
 * @packageDocumentation
 */
import { createBackendFeatureLoader } from '@backstage/backend-plugin-api';
import { deploymentQualityModuleArgocdSource } from './argocd';
import { deploymentQualityModuleAwsCostExplorerSource } from './awsCostExplorer';
import { deploymentQualityModuleGithubSource } from './github';
import { deploymentQualityModuleJenkinsSource } from './jenkins';
import { deploymentQualityModuleKubernetesSource } from './kubernetes';
import { deploymentQualityModuleSpinnakerSource } from './spinnaker';

export {
  argocdSourceAdapter,
  deploymentQualityModuleArgocdSource,
} from './argocd';
export {
  awsCostExplorerSourceAdapter,
  deploymentQualityModuleAwsCostExplorerSource,
} from './awsCostExplorer';
export {
  githubSourceAdapter,
  deploymentQualityModuleGithubSource,
} from './github';
export {
  jenkinsSourceAdapter,
  deploymentQualityModuleJenkinsSource,
} from './jenkins';
export {
  GIT_SHA_ANNOTATION,
  kubernetesSourceAdapter,
  deploymentQualityModuleKubernetesSource,
} from './kubernetes';
export {
  spinnakerSourceAdapter,
  deploymentQualityModuleSpinnakerSource,
} from './spinnaker';

/** Every source adapter we ship. @public */
export default createBackendFeatureLoader({
  *loader() {
    yield deploymentQualityModuleGithubSource;
    yield deploymentQualityModuleArgocdSource;
    yield deploymentQualityModuleJenkinsSource;
    yield deploymentQualityModuleSpinnakerSource;
    yield deploymentQualityModuleKubernetesSource;
    yield deploymentQualityModuleAwsCostExplorerSource;
  },
});
