import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import {
  DeploymentQualityClient,
  deploymentQualityApiRef,
} from './api/DeploymentQualityApi';

/** @public */
export const deploymentQualityPlugin = createPlugin({
  id: 'deployment-quality',
  apis: [
    createApiFactory({
      api: deploymentQualityApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new DeploymentQualityClient(deps),
    }),
  ],
});

/**
 * The Deployments tab content for an entity page.
 * @public
 */
export const EntityDeploymentsContent = deploymentQualityPlugin.provide(
  createComponentExtension({
    name: 'EntityDeploymentsContent',
    component: {
      lazy: () =>
        import('./components/DeploymentsTab/EntityDeploymentsContent').then(
          m => m.EntityDeploymentsContent,
        ),
    },
  }),
);
