import {
  createPlugin,
  createRoutableExtension,
} from '@backstage/core-plugin-api';

import { rootRouteRef } from './routes';

export const deploymentQualityPlugin = createPlugin({
  id: 'deployment-quality',
  routes: {
    root: rootRouteRef,
  },
});

export const DeploymentQualityPage = deploymentQualityPlugin.provide(
  createRoutableExtension({
    name: 'DeploymentQualityPage',
    component: () =>
      import('./components/ExampleComponent').then(m => m.ExampleComponent),
    mountPoint: rootRouteRef,
  }),
);
