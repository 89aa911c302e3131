import { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import {
  AttemptsPage,
  EntitySummaryResponse,
} from '@internal/plugin-deployment-quality-common';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  DeploymentQualityApi,
  deploymentQualityApiRef,
} from '../../api/DeploymentQualityApi';
import { EntityDeploymentsContent } from './EntityDeploymentsContent';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'authentication', namespace: 'default' },
  spec: { type: 'service' },
};

const mira = {
  id: 'mira-us-west-2',
  name: 'Mira US-West-2',
  type: 'Development',
  role: 'Primary',
  description: '',
  configured: true,
};

const summary: EntitySummaryResponse = {
  entityRef: 'component:default/authentication',
  serviceId: 'authn',
  clusters: [
    {
      cluster: mira,
      currentVersion: '3.4.2',
      latestAttempt: {
        id: 'mira-us-west-2:authn:3.4.3:7',
        status: 'FAILED',
        buildVersion: '3.4.3',
        startedAt: '2026-02-24T09:00:00.000Z',
      },
      gates: { functional: { passed: 18, total: 20, failed: 2, skipped: 0 } },
    },
  ],
};

const attempt = (n: number, status: 'SUCCESS' | 'FAILED' = 'SUCCESS') => ({
  id: `mira-us-west-2:authn:3.4.${n}:${n}`,
  clusterId: 'mira-us-west-2',
  serviceId: 'authn',
  buildVersion: `3.4.${n}`,
  gitSha: 'abcdef1234',
  startedAt: `2026-02-${10 + n}T09:00:00.000Z`,
  endedAt: `2026-02-${10 + n}T09:04:30.000Z`,
  status,
  trigger: 'merge' as const,
  source: 'ci',
  gates: {},
  ...(status === 'FAILED' ? { failureReason: 'smoke tests failed' } : {}),
});

function fakeApi(overrides: Partial<DeploymentQualityApi> = {}) {
  return {
    getClusters: jest.fn(async () => ({
      clusters: [
        {
          ...mira,
          summary: {
            services: 1,
            healthy: 0,
            attention: 1,
            latestAttemptAt: null,
          },
        },
      ],
    })),
    getClusterSummary: jest.fn(),
    getBuild: jest.fn(),
    getEntitySummary: jest.fn(async () => summary),
    getEntityAttempts: jest.fn(
      async (): Promise<AttemptsPage> => ({
        attempts: [attempt(3, 'FAILED'), attempt(2)],
        nextCursor: 'page-2',
      }),
    ),
    ...overrides,
  } as jest.Mocked<DeploymentQualityApi>;
}

async function render(api: DeploymentQualityApi) {
  return renderInTestApp(
    <TestApiProvider apis={[[deploymentQualityApiRef, api]]}>
      <EntityProvider entity={entity}>
        <EntityDeploymentsContent />
      </EntityProvider>
    </TestApiProvider>,
  );
}

describe('EntityDeploymentsContent', () => {
  it('shows the cluster matrix and the attempts', async () => {
    const api = fakeApi();
    await render(api);
    expect(await screen.findByText('Mira US-West-2')).toBeInTheDocument();
    // Current version 3.4.2 in the matrix, and build 3.4.2 in the attempts.
    expect(screen.getAllByText('3.4.2')).toHaveLength(2);
    expect(
      screen.getByLabelText('functional gate failed: 18 of 20 passed'),
    ).toBeInTheDocument();
    expect(await screen.findByText('smoke tests failed')).toBeInTheDocument();
    expect(screen.getAllByText('4m 30s')).toHaveLength(2);
    expect(api.getEntitySummary).toHaveBeenCalledWith({
      kind: 'Component',
      namespace: 'default',
      name: 'authentication',
    });
  });

  it('pages with the cursor and back', async () => {
    const api = fakeApi();
    await render(api);
    await screen.findByText('smoke tests failed');
    await userEvent.click(screen.getByRole('button', { name: 'Older' }));
    await waitFor(() =>
      expect(api.getEntityAttempts).toHaveBeenLastCalledWith(
        expect.anything(),
        expect.objectContaining({ cursor: 'page-2' }),
      ),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Newer' }));
    await waitFor(() =>
      expect(api.getEntityAttempts).toHaveBeenLastCalledWith(
        expect.anything(),
        expect.objectContaining({ cursor: undefined }),
      ),
    );
  });

  it('filters by status and cluster', async () => {
    const api = fakeApi();
    await render(api);
    await screen.findByText('smoke tests failed');

    await userEvent.click(screen.getByLabelText('Status'));
    await userEvent.click(
      within(screen.getByRole('listbox')).getByText('FAILED'),
    );
    await waitFor(() =>
      expect(api.getEntityAttempts).toHaveBeenLastCalledWith(
        expect.anything(),
        expect.objectContaining({ status: 'FAILED', cursor: undefined }),
      ),
    );

    await userEvent.click(screen.getByLabelText('Cluster-region'));
    await userEvent.click(
      within(screen.getByRole('listbox')).getByText('mira-us-west-2'),
    );
    await waitFor(() =>
      expect(api.getEntityAttempts).toHaveBeenLastCalledWith(
        expect.anything(),
        expect.objectContaining({
          status: 'FAILED',
          clusterId: 'mira-us-west-2',
        }),
      ),
    );
  });

  it('shows guidance when the service has no deployments', async () => {
    const api = fakeApi({
      getEntitySummary: jest.fn(async () => ({ ...summary, clusters: [] })),
      getEntityAttempts: jest.fn(async () => ({ attempts: [] })),
    });
    await render(api);
    expect(
      await screen.findByText('No deployments reported yet'),
    ).toBeInTheDocument();
    expect(
      await screen.findByText('No attempts match these filters.'),
    ).toBeInTheDocument();
  });

  it('shows errors with a retry that recovers', async () => {
    const getEntitySummary = jest
      .fn()
      .mockRejectedValueOnce(new Error('backend unavailable'))
      .mockResolvedValue(summary);
    const api = fakeApi({ getEntitySummary });
    await render(api);
    expect(
      await screen.findByText('Error: backend unavailable'),
    ).toBeInTheDocument();
    await userEvent.click(screen.getAllByRole('button', { name: 'Retry' })[0]);
    expect(await screen.findByText('Mira US-West-2')).toBeInTheDocument();
    expect(getEntitySummary).toHaveBeenCalledTimes(2);
  });

  it('shows progress while loading', async () => {
    const api = fakeApi({
      getEntitySummary: jest.fn(() => new Promise<never>(() => {})),
      getEntityAttempts: jest.fn(() => new Promise<never>(() => {})),
    });
    await render(api);
    expect(screen.getAllByTestId('progress').length).toBeGreaterThan(0);
  });
});
