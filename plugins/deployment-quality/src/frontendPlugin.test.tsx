import { coreExtensionData, RouteRef } from '@backstage/frontend-plugin-api';
import {
  createExtensionTester,
  renderInTestApp,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { screen, within } from '@testing-library/react';
import plugin, {
  deploymentQualityPage,
  entityDeploymentQualityCard,
  entityDeploymentsContent,
  entityQualityContent,
} from './frontendPlugin';
import { deploymentQualityApiRef } from './api/DeploymentQualityApi';
import { fakeApi, serviceEntity } from './__testUtils__/fixtures';
import { rootRouteRef } from './routes';

const unannotatedWebsite = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'docs-site' },
  spec: { type: 'website' },
};

describe('new frontend system plugin', () => {
  it('provides the page, the two entity tabs, the card and the API', () => {
    expect(plugin.pluginId).toBe('deployment-quality');
    expect(plugin.routes.root).toBe(rootRouteRef);
    for (const id of [
      'api:deployment-quality',
      'page:deployment-quality',
      'entity-content:deployment-quality/deployments',
      'entity-content:deployment-quality/quality',
      'entity-card:deployment-quality/deployments',
    ] as const) {
      expect(plugin.getExtension(id)).toBeDefined();
    }
  });

  it('mounts the Deployments tab, only for entities with data', () => {
    const tester = createExtensionTester(entityDeploymentsContent);
    expect(tester.get(coreExtensionData.routePath)).toBe('/deployments');
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe(
      'Deployments',
    );
    const filter = tester.get(EntityContentBlueprint.dataRefs.filterFunction)!;
    expect(filter(serviceEntity)).toBe(true);
    expect(filter(unannotatedWebsite)).toBe(false);
  });

  it('mounts the Quality tab, only for entities with data', () => {
    const tester = createExtensionTester(entityQualityContent);
    expect(tester.get(coreExtensionData.routePath)).toBe('/quality');
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Quality');
    const filter = tester.get(EntityContentBlueprint.dataRefs.filterFunction)!;
    expect(filter(serviceEntity)).toBe(true);
    expect(filter(unannotatedWebsite)).toBe(false);
  });

  it('renders the Quality tab with the registered API', async () => {
    const tester = createExtensionTester(entityQualityContent);
    await renderInTestApp(
      <EntityProvider entity={serviceEntity}>
        {tester.reactElement()}
      </EntityProvider>,
      { apis: [[deploymentQualityApiRef, fakeApi()]] },
    );
    expect(
      await screen.findByRole('img', { name: /^Build outcomes per day/ }),
    ).toBeInTheDocument();
  });

  it('renders the overview card', async () => {
    const tester = createExtensionTester(entityDeploymentQualityCard);
    await renderInTestApp(
      <EntityProvider entity={serviceEntity}>
        {tester.reactElement()}
      </EntityProvider>,
      { apis: [[deploymentQualityApiRef, fakeApi()]] },
    );
    const list = await screen.findByRole('list', {
      name: 'Current version per cluster-region',
    });
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
  });

  it('serves the page’s sub-routes at their own addresses', async () => {
    const api = fakeApi();
    renderTestApp({
      extensions: [deploymentQualityPage],
      apis: [[deploymentQualityApiRef, api]],
      mountedRoutes: {
        '/catalog/:namespace/:kind/:name': entityRouteRef as RouteRef,
      },
      initialRouteEntries: ['/deployment-quality/clusters/mira-us-west-2'],
    });
    expect(
      await screen.findByRole('heading', { name: 'Mira US-West-2' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: /authentication/ }),
    ).toHaveAttribute('href', '/catalog/default/component/authentication');
    expect(api.getClusterSummary).toHaveBeenCalledWith(
      'mira-us-west-2',
      { limit: 25, offset: 0 },
      { fresh: false },
    );
  });
});
