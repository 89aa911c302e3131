import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import DeploymentsIcon from '@material-ui/icons/CloudUpload';
import {
  DeploymentQualityClient,
  deploymentQualityApiRef,
} from './api/DeploymentQualityApi';
import {
  isDeploymentQualityAvailable,
  isDeploymentQualityRollupAvailable,
} from './predicate';
import {
  analyticsRouteRef,
  buildRouteRef,
  clusterRouteRef,
  rootRouteRef,
  scorecardRouteRef,
} from './routes';

/** The backend client, for the new frontend system. @public */
export const deploymentQualityApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: deploymentQualityApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new DeploymentQualityClient(deps),
    }),
});

/**
 * The standalone page at /deployment-quality, with a nav item. It draws its
 * own header and tabs (the same component as in classic apps), so the
 * framework's header is turned off.
 * @public
 */
export const deploymentQualityPage = PageBlueprint.make({
  params: {
    path: '/deployment-quality',
    routeRef: rootRouteRef,
    title: 'Deployments',
    icon: <DeploymentsIcon />,
    noHeader: true,
    loader: () =>
      import('./components/Page/DeploymentQualityPage').then(m => (
        <m.DeploymentQualityPage />
      )),
  },
});

/** The entity Deployments tab. @public */
export const entityDeploymentsContent = EntityContentBlueprint.make({
  name: 'deployments',
  params: {
    path: '/deployments',
    title: 'Deployments',
    filter: isDeploymentQualityAvailable,
    loader: () =>
      import('./components/DeploymentsTab/EntityDeploymentsContent').then(m => (
        <m.EntityDeploymentsContent />
      )),
  },
});

/** The entity Quality tab. @public */
export const entityQualityContent = EntityContentBlueprint.make({
  name: 'quality',
  params: {
    path: '/quality',
    title: 'Quality',
    filter: isDeploymentQualityAvailable,
    loader: () =>
      import('./components/QualityTab/EntityQualityContent').then(m => (
        <m.EntityQualityContent />
      )),
  },
});

/** The Deployments tab of a Group, System or Domain: its services rolled up. @public */
export const entityRollupContent = EntityContentBlueprint.make({
  name: 'rollup',
  params: {
    path: '/deployments',
    title: 'Deployments',
    filter: isDeploymentQualityRollupAvailable,
    loader: () =>
      import('./components/RollupTab/EntityRollupContent').then(m => (
        <m.EntityRollupContent />
      )),
  },
});

/** The deployment status card on the entity overview. @public */
export const entityDeploymentQualityCard = EntityCardBlueprint.make({
  name: 'deployments',
  params: {
    filter: isDeploymentQualityAvailable,
    loader: () =>
      import('./components/EntityCard/EntityDeploymentQualityCard').then(m => (
        <m.EntityDeploymentQualityCard />
      )),
  },
});

/**
 * Deployment & Quality for apps on the new frontend system. The route refs
 * are the classic ones, so links work the same in both systems.
 * @public
 */
export default createFrontendPlugin({
  pluginId: 'deployment-quality',
  title: 'Deployments',
  icon: <DeploymentsIcon />,
  routes: {
    root: rootRouteRef,
    cluster: clusterRouteRef,
    build: buildRouteRef,
    analytics: analyticsRouteRef,
    scorecard: scorecardRouteRef,
  },
  extensions: [
    deploymentQualityApi,
    deploymentQualityPage,
    entityDeploymentsContent,
    entityQualityContent,
    entityRollupContent,
    entityDeploymentQualityCard,
  ],
});
