import { createDevApp } from '@backstage/dev-utils';
import { deploymentQualityPlugin, DeploymentQualityPage } from '../src/plugin';

createDevApp()
  .registerPlugin(deploymentQualityPlugin)
  .addPage({
    element: <DeploymentQualityPage />,
    title: 'Root Page',
    path: '/deployment-quality',
  })
  .render();
