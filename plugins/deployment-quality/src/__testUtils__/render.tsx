import { Entity } from '@backstage/catalog-model';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { ReactElement } from 'react';
import {
  DeploymentQualityApi,
  deploymentQualityApiRef,
} from '../api/DeploymentQualityApi';
import { rootRouteRef } from '../routes';
import { serviceEntity } from './fixtures';

/** Renders a view in a classic test app with a fake client and routes. */
export function renderWithApi(
  element: ReactElement,
  api: DeploymentQualityApi,
  options: { entity?: Entity; path?: string } = {},
) {
  return renderInTestApp(
    <TestApiProvider apis={[[deploymentQualityApiRef, api]]}>
      <EntityProvider entity={options.entity ?? serviceEntity}>
        {element}
      </EntityProvider>
    </TestApiProvider>,
    {
      routeEntries: options.path ? [options.path] : undefined,
      mountedRoutes: {
        '/deployment-quality': rootRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
}
