import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import {
  DeploymentQualityClient,
  deploymentQualityApiRef,
} from './api/DeploymentQualityApi';
import {
  analyticsRouteRef,
  buildRouteRef,
  clusterRouteRef,
  rootRouteRef,
  scorecardRouteRef,
} from './routes';

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
  routes: {
    root: rootRouteRef,
    cluster: clusterRouteRef,
    build: buildRouteRef,
    analytics: analyticsRouteRef,
    scorecard: scorecardRouteRef,
  },
});

/**
 * The standalone page: cluster-regions, builds, analytics and the scorecard.
 * Mount it at a path of your choice; its views are sub-routes of it.
 * @public
 */
export const DeploymentQualityPage = deploymentQualityPlugin.provide(
  createRoutableExtension({
    name: 'DeploymentQualityPage',
    component: () =>
      import('./components/Page/DeploymentQualityPage').then(
        m => m.DeploymentQualityPage,
      ),
    mountPoint: rootRouteRef,
  }),
);

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

/**
 * The Quality tab content for an entity page.
 * @public
 */
export const EntityQualityContent = deploymentQualityPlugin.provide(
  createComponentExtension({
    name: 'EntityQualityContent',
    component: {
      lazy: () =>
        import('./components/QualityTab/EntityQualityContent').then(
          m => m.EntityQualityContent,
        ),
    },
  }),
);

/**
 * The Deployments tab of a Group, System or Domain: its services rolled up.
 * @public
 */
export const EntityDeploymentQualityRollupContent =
  deploymentQualityPlugin.provide(
    createComponentExtension({
      name: 'EntityDeploymentQualityRollupContent',
      component: {
        lazy: () =>
          import('./components/RollupTab/EntityRollupContent').then(
            m => m.EntityRollupContent,
          ),
      },
    }),
  );

/**
 * The deployment status card for an entity's overview tab.
 * @public
 */
export const EntityDeploymentQualityCard = deploymentQualityPlugin.provide(
  createComponentExtension({
    name: 'EntityDeploymentQualityCard',
    component: {
      lazy: () =>
        import('./components/EntityCard/EntityDeploymentQualityCard').then(
          m => m.EntityDeploymentQualityCard,
        ),
    },
  }),
);
