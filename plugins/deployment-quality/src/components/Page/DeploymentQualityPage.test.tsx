import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import {
  attempt,
  clusters,
  clusterSummary,
  analytics,
  emptyAnalytics,
  fakeApi,
  hoursAgo,
  pending,
  scorecard,
} from '../../__testUtils__/fixtures';
import { renderWithApi } from '../../__testUtils__/render';
import { DeploymentQualityApi } from '../../api/DeploymentQualityApi';
import { DeploymentQualityPage } from './DeploymentQualityPage';
import { ClusterSummaryQuery } from '@deployment-quality/plugin-deployment-quality-common';

/** The page mounted as an app mounts it, opened at `path`. */
const open = (path: string, api: DeploymentQualityApi = fakeApi()) =>
  renderWithApi(
    <Routes>
      <Route path="/deployment-quality/*" element={<DeploymentQualityPage />} />
    </Routes>,
    api,
    { path },
  );

const rowOf = (text: string) => screen.getByText(text).closest('tr')!;

describe('DeploymentQualityPage', () => {
  describe('overview', () => {
    it('shows each cluster-region’s health, needing attention first', async () => {
      const healthyFirst = { clusters: [...clusters.clusters].reverse() };
      await open(
        '/deployment-quality',
        fakeApi({ getClusters: jest.fn(async () => healthyFirst) }),
      );
      const mira = await screen.findByRole('link', { name: 'Mira US-West-2' });
      expect(mira).toHaveAttribute(
        'href',
        '/deployment-quality/clusters/mira-us-west-2',
      );
      // Name, services, healthy, needing attention.
      const table = mira.closest('table')!;
      const rows = within(table)
        .getAllByRole('row')
        .slice(1)
        .map(r =>
          within(r)
            .getAllByRole('cell')
            .slice(0, 5)
            .map(c => c.textContent),
        );
      // Services, healthy, needing attention, the cluster's own validations.
      expect(rows.map(r => r.slice(1))).toEqual([
        ['4', '3', '1', '1 of 2 failing'],
        ['2', '2', '0', '—'],
      ]);
      expect(rows[0][0]).toMatch(/^Mira US-West-2/);
    });

    it('lists failures and rollbacks of the last 24 hours only', async () => {
      const api = fakeApi({
        getAttempts: jest.fn(async options => ({
          attempts:
            options?.status === 'FAILED'
              ? [
                  attempt(7, { status: 'FAILED', startedAt: hoursAgo(3) }),
                  attempt(1, { status: 'FAILED', startedAt: hoursAgo(30) }),
                ]
              : [attempt(8, { status: 'ROLLBACK', startedAt: hoursAgo(1) })],
        })),
      });
      await open('/deployment-quality', api);
      const build7 = await screen.findByRole('link', {
        name: 'Build 3.4.7 of authn on mira-us-west-2',
      });
      expect(build7).toHaveAttribute(
        'href',
        `/deployment-quality/builds/${encodeURIComponent(
          'mira-us-west-2:authn:3.4.7:7',
        )}`,
      );
      expect(screen.getByText('rolled back to 3.4.0')).toBeInTheDocument();
      expect(screen.queryByText('3.4.1')).toBeNull();
      // Newest first.
      const builds = screen
        .getAllByRole('link', { name: /^Build 3\.4\./ })
        .map(l => l.textContent);
      expect(builds).toEqual(['3.4.8', '3.4.7']);
      // One fleet-wide request per status, not one per cluster.
      expect(api.getAttempts.mock.calls.map(([o]) => o?.status)).toEqual([
        'FAILED',
        'ROLLBACK',
      ]);
      expect(api.getClusterAttempts).not.toHaveBeenCalled();
    });

    it('says when the last 24 hours were clean', async () => {
      await open(
        '/deployment-quality',
        fakeApi({
          getAttempts: jest.fn(async () => ({ attempts: [] })),
        }),
      );
      expect(
        await screen.findByText(
          'No failures or rollbacks in the last 24 hours.',
        ),
      ).toBeInTheDocument();
    });

    it('guides when no cluster-region exists', async () => {
      await open(
        '/deployment-quality',
        fakeApi({ getClusters: jest.fn(async () => ({ clusters: [] })) }),
      );
      expect(
        await screen.findByText('No cluster-regions yet'),
      ).toBeInTheDocument();
    });

    it('shows an error with a retry that loads again', async () => {
      const getClusters = jest
        .fn()
        .mockRejectedValueOnce(new Error('clusters unavailable'))
        .mockResolvedValue(clusters);
      await open('/deployment-quality', fakeApi({ getClusters }));
      await userEvent.click(
        await screen.findByRole('button', { name: 'Retry' }),
      );
      expect(
        await screen.findByRole('link', { name: 'Mira US-West-2' }),
      ).toBeInTheDocument();
      expect(getClusters).toHaveBeenCalledTimes(2);
    });

    it('shows progress while loading', async () => {
      await open(
        '/deployment-quality',
        fakeApi({ getClusters: jest.fn(pending) }),
      );
      expect(screen.getByTestId('progress')).toBeInTheDocument();
    });
  });

  describe('cluster-region detail', () => {
    it('shows totals, services linked to their entities, and attempts', async () => {
      const api = fakeApi();
      await open('/deployment-quality/clusters/mira-us-west-2', api);
      expect(
        await screen.findByRole('heading', { name: 'Mira US-West-2' }),
      ).toBeInTheDocument();
      const totals = screen.getByRole('list', { name: 'Attempt totals' });
      expect(totals).toHaveTextContent('Attempts42');
      expect(totals).toHaveTextContent('Failed4');
      expect(totals).toHaveTextContent('Rollback2');

      expect(
        screen.getByRole('link', { name: /authentication/ }),
      ).toHaveAttribute('href', '/catalog/default/component/authentication');
      const orphan = rowOf('orphan');
      expect(within(orphan).getByText('In progress')).toBeInTheDocument();
      expect(
        screen.getByLabelText('sanity gate passed: 5 of 5 passed'),
      ).toBeInTheDocument();
      expect(
        screen.getByRole('link', { name: 'Build 3.4.3 of authn' }),
      ).toHaveAttribute(
        'href',
        `/deployment-quality/builds/${encodeURIComponent(
          'mira-us-west-2:authn:3.4.3:3',
        )}`,
      );

      expect(await screen.findByText('smoke tests failed')).toBeInTheDocument();
      // Kept figures will do: no signal asked for this load.
      expect(api.getClusterSummary).toHaveBeenCalledWith(
        'mira-us-west-2',
        { limit: 25, offset: 0 },
        { fresh: false },
      );
    });

    it('shows the cluster-region’s own validations, failing first, with their last runs', async () => {
      const api = fakeApi();
      await open('/deployment-quality/clusters/mira-us-west-2', api);
      const conformance = await screen.findByRole('img', {
        name: 'conformance: last 3 runs, 2 passed, 1 failed',
      });
      const row = conformance.closest('tr')!;
      expect(row).toHaveTextContent('3 failed of 120');
      expect(row).toHaveTextContent('97.5 %');
      expect(row).toHaveTextContent('k8s=1.31');
      expect(
        within(row).getByRole('link', { name: /^Report/ }),
      ).toHaveAttribute('href', 'https://ci.example.com/nightly/42');
      expect(
        screen.getByRole('img', {
          name: 'smoke: last 1 runs, 1 passed, 0 failed',
        }),
      ).toBeInTheDocument();
      expect(api.getClusterValidations).toHaveBeenCalledWith('mira-us-west-2');
    });

    it('shows what the cluster-region’s services cost, with links to the releases', async () => {
      const api = fakeApi();
      await open('/deployment-quality/clusters/mira-us-west-2', api);
      const tiles = await screen.findByRole('list', { name: 'Cost in USD' });
      expect(tiles).toHaveTextContent('Per successful deployment$64.00');
      expect(
        screen.getByRole('link', { name: 'Build 3.4.3 of authn: its cost' }),
      ).toHaveAttribute(
        'href',
        `/deployment-quality/builds/${encodeURIComponent(
          'mira-us-west-2:authn:3.4.3:7',
        )}`,
      );
      expect(api.getClusterCost).toHaveBeenCalledWith('mira-us-west-2');
    });

    it('filters the attempts by service', async () => {
      const api = fakeApi();
      await open('/deployment-quality/clusters/mira-us-west-2', api);
      await screen.findByText('smoke tests failed');
      await userEvent.click(screen.getByLabelText('Service'));
      await userEvent.click(
        within(screen.getByRole('listbox')).getByText('authn'),
      );
      await waitFor(() =>
        expect(api.getClusterAttempts).toHaveBeenLastCalledWith(
          'mira-us-west-2',
          expect.objectContaining({ serviceId: 'authn', cursor: undefined }),
          { fresh: false },
        ),
      );
    });

    it('asks the backend for one page of a 2,000-service cluster at a time, and searches it', async () => {
      const fleet = Array.from({ length: 2000 }, (_, i) => {
        const serviceId = `svc-${String(i).padStart(4, '0')}`;
        return {
          serviceId,
          serviceName: serviceId,
          currentVersion: '1.0.0',
          latestAttempt: {
            id: `mira-us-west-2:${serviceId}:1.0.0:1`,
            status: 'SUCCESS' as const,
            buildVersion: '1.0.0',
            startedAt: hoursAgo(1),
          },
          gates: {},
        };
      });
      // The backend's paging and search, over the fleet.
      const getClusterSummary = jest.fn(
        async (
          _: string,
          { limit = 100, offset = 0, q }: ClusterSummaryQuery = {},
        ) => {
          const matching = fleet.filter(s => !q || s.serviceId.includes(q));
          return {
            ...clusterSummary,
            services: matching.slice(offset, offset + limit),
            servicesPage: { offset, limit, total: matching.length },
          };
        },
      );
      const api = fakeApi({ getClusterSummary });
      await open('/deployment-quality/clusters/mira-us-west-2', api);
      await screen.findByText('svc-0000');
      const rows = () =>
        within(screen.getAllByText(/^svc-\d+$/)[0].closest('table')!)
          .getAllByRole('row')
          .slice(1);
      expect(rows()).toHaveLength(25);
      expect(screen.getByText('1–25 of 2000')).toBeInTheDocument();

      await userEvent.click(screen.getByRole('button', { name: 'Next page' }));
      expect(await screen.findByText('svc-0025')).toBeInTheDocument();
      expect(getClusterSummary).toHaveBeenLastCalledWith(
        'mira-us-west-2',
        { limit: 25, offset: 25 },
        { fresh: false },
      );

      await userEvent.type(
        screen.getByRole('textbox', { name: 'Search services' }),
        'svc-19',
      );
      // Debounced, then a 2,000-row render: on a busy CI machine that
      // outlasted findBy's default second once.
      expect(
        await screen.findByText('1–25 of 100', undefined, { timeout: 10_000 }),
      ).toBeInTheDocument();
      expect(getClusterSummary).toHaveBeenLastCalledWith(
        'mira-us-west-2',
        { limit: 25, offset: 0, q: 'svc-19' },
        { fresh: false },
      );
      expect(rows()[0]).toHaveTextContent('svc-1900');
    }, 60_000);

    it('opens an attempt’s build page from the attempts list', async () => {
      const api = fakeApi();
      await open('/deployment-quality/clusters/mira-us-west-2', api);
      await userEvent.click(
        await screen.findByRole('button', {
          name: 'Details of build 3.4.3 on mira-us-west-2',
        }),
      );
      expect(
        await screen.findByRole('heading', {
          name: 'Build attempt mira-us-west-2:authn:3.4.3:3',
        }),
      ).toBeInTheDocument();
      expect(api.getBuild).toHaveBeenCalledWith('mira-us-west-2:authn:3.4.3:3');
    });

    it('shows a missing cluster’s error with a retry', async () => {
      const getClusterSummary = jest
        .fn()
        .mockRejectedValueOnce(new Error('No cluster nowhere'))
        .mockResolvedValue(clusterSummary);
      await open(
        '/deployment-quality/clusters/nowhere',
        fakeApi({ getClusterSummary }),
      );
      expect(
        await screen.findByText('Error: No cluster nowhere'),
      ).toBeInTheDocument();
      await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
      expect(
        await screen.findByRole('heading', { name: 'Mira US-West-2' }),
      ).toBeInTheDocument();
    });

    it('says when no service was deployed there', async () => {
      await open(
        '/deployment-quality/clusters/mira-us-west-2',
        fakeApi({
          getClusterSummary: jest.fn(async () => ({
            ...clusterSummary,
            services: [],
          })),
        }),
      );
      expect(
        await screen.findByText(
          'No service has been deployed to this cluster-region yet.',
        ),
      ).toBeInTheDocument();
    });
  });

  describe('build attempt detail', () => {
    it('opens from its address, with the id decoded', async () => {
      const api = fakeApi();
      await open(
        `/deployment-quality/builds/${encodeURIComponent(
          'mira-us-west-2:authn:3.4.3:3',
        )}`,
        api,
      );
      // Its FUNCTIONAL run, and the suite of each of its two failed tests.
      expect(await screen.findAllByText('FUNCTIONAL')).toHaveLength(3);
      expect(screen.getByText('smoke tests failed')).toBeInTheDocument();
      expect(api.getBuild).toHaveBeenCalledWith('mira-us-west-2:authn:3.4.3:3');
      // Its failed tests, beside the runs.
      expect(screen.getByText('Failed tests (2)')).toBeInTheDocument();
      expect(
        screen.getByText('passed after 2 failed retries'),
      ).toBeInTheDocument();
    });

    it('says when an attempt has no test results', async () => {
      const api = fakeApi({
        getBuild: jest.fn(async () => ({
          attempt: attempt(2),
          testRuns: [],
          promotions: [],
          failedTests: [],
        })),
      });
      await open('/deployment-quality/builds/x', api);
      expect(
        await screen.findByText(
          'No test results were reported for this attempt.',
        ),
      ).toBeInTheDocument();
      expect(
        screen.getByText('This build has not been promoted.'),
      ).toBeInTheDocument();
    });

    it('shows an error with a retry', async () => {
      const getBuild = jest
        .fn()
        .mockRejectedValueOnce(new Error('No attempt x'))
        .mockImplementation(pending);
      await open('/deployment-quality/builds/x', fakeApi({ getBuild }));
      await userEvent.click(
        await screen.findByRole('button', { name: 'Retry' }),
      );
      expect(await screen.findByTestId('progress')).toBeInTheDocument();
      expect(getBuild).toHaveBeenCalledTimes(2);
    });
  });

  describe('analytics & trends', () => {
    it('shows the charts and filters by service and cluster-region', async () => {
      const api = fakeApi();
      await open('/deployment-quality/analytics', api);
      expect(
        await screen.findByRole('img', { name: /^Build outcomes per day/ }),
      ).toBeInTheDocument();
      expect(
        screen.getByRole('tab', { name: 'Analytics & trends' }),
      ).toHaveAttribute('aria-selected', 'true');

      await userEvent.click(screen.getByLabelText('Service'));
      await userEvent.click(
        within(await screen.findByRole('listbox')).getByText('payments'),
      );
      await userEvent.click(screen.getByLabelText('Cluster-region'));
      await userEvent.click(
        within(await screen.findByRole('listbox')).getByText('Vega EU-West-1'),
      );
      await userEvent.click(screen.getByRole('button', { name: '90 days' }));
      await waitFor(() =>
        expect(api.getAnalytics).toHaveBeenLastCalledWith(
          expect.objectContaining({
            serviceId: 'payments',
            clusterId: 'vega-eu-west-1',
            from: new Date(Date.now() - 89 * 86_400_000)
              .toISOString()
              .slice(0, 10),
          }),
        ),
      );
    });

    it('charts the cluster-regions’ own validations beside the builds’ tests, when any ran', async () => {
      await open('/deployment-quality/analytics', fakeApi());
      expect(
        await screen.findByRole('img', {
          name: 'Cluster validation pass rate per suite: conformance averages 99.2 %, smoke averages 99.1 %',
        }),
      ).toBeInTheDocument();
    });

    it('leaves the validations chart out when none ran', async () => {
      await open(
        '/deployment-quality/analytics',
        fakeApi({
          getAnalytics: jest.fn(async () => ({
            ...analytics,
            clusterValidationPassRates: {
              labels: analytics.clusterValidationPassRates.labels,
              suites: {},
            },
          })),
        }),
      );
      await screen.findByRole('img', { name: /^Build outcomes per day/ });
      expect(
        screen.queryByText('Cluster validation pass rate per suite'),
      ).not.toBeInTheDocument();
    });

    it('says when the filters match nothing', async () => {
      await open(
        '/deployment-quality/analytics',
        fakeApi({ getAnalytics: jest.fn(async () => emptyAnalytics) }),
      );
      expect(
        await screen.findByText('Nothing reported in the last 30 days'),
      ).toBeInTheDocument();
    });

    it('shows an error with a retry', async () => {
      const getAnalytics = jest
        .fn()
        .mockRejectedValueOnce(new Error('analytics unavailable'))
        .mockResolvedValue(emptyAnalytics);
      await open('/deployment-quality/analytics', fakeApi({ getAnalytics }));
      await userEvent.click(
        await screen.findByRole('button', { name: 'Retry' }),
      );
      expect(
        await screen.findByText('Nothing reported in the last 30 days'),
      ).toBeInTheDocument();
    });
  });

  describe('quality scorecard', () => {
    it('ranks the services with their metrics, linked to their entities', async () => {
      await open('/deployment-quality/scorecard');
      const authn = (
        await screen.findByRole('link', { name: /authentication/ })
      ).closest('tr')!;
      expect(authn).toHaveTextContent('93.5');
      expect(authn).toHaveTextContent('A');
      expect(authn).toHaveTextContent('99.0 %');
      expect(authn).toHaveTextContent('97.5 %');
      expect(authn).toHaveTextContent('30 min');
      // Another tool's scorecard beside ours.
      expect(authn).toHaveTextContent('soundcheck: production readiness 80 %');
      const ranked = screen
        .getAllByRole('row')
        .slice(1)
        .map(r => r.querySelector('td')?.textContent);
      expect(ranked).toEqual(['1', '2', '3']);
    });

    it('sorts by a column', async () => {
      await open('/deployment-quality/scorecard');
      await screen.findByText('payments');
      const services = () =>
        screen
          .getAllByRole('row')
          .slice(1)
          .map(r => r.querySelectorAll('td')[1]?.textContent);
      expect(services()).toEqual(['authentication', 'payments', 'ledger']);
      await userEvent.click(screen.getByText('Deploy success'));
      expect(services()).toEqual(['ledger', 'payments', 'authentication']);
    });

    it('exports the same window as CSV', async () => {
      const api = fakeApi();
      const createObjectURL = jest.fn(() => 'blob:scorecard');
      Object.assign(URL, { createObjectURL, revokeObjectURL: jest.fn() });
      const click = jest
        .spyOn(HTMLAnchorElement.prototype, 'click')
        .mockImplementation(function saveLink(this: HTMLAnchorElement) {
          expect(this.download).toBe('scorecard-2026-02-24.csv');
        });
      await open('/deployment-quality/scorecard', api);
      await screen.findByText('payments');
      await userEvent.click(screen.getByRole('button', { name: '7 days' }));
      await userEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
      await waitFor(() => expect(click).toHaveBeenCalled());
      expect(api.getScorecardCsv).toHaveBeenCalledWith(
        api.getScorecard.mock.calls.at(-1)![0],
      );
      expect(createObjectURL).toHaveBeenCalled();
      click.mockRestore();
    });

    it('reports a failed export', async () => {
      await open(
        '/deployment-quality/scorecard',
        fakeApi({
          getScorecardCsv: jest.fn(async () => {
            throw new Error('forbidden');
          }),
        }),
      );
      await screen.findByText('payments');
      await userEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
      expect(await screen.findByRole('alert')).toHaveTextContent(
        'Export failed: forbidden',
      );
    });

    it('says when there is nothing to score', async () => {
      await open(
        '/deployment-quality/scorecard',
        fakeApi({
          getScorecard: jest.fn(async () => ({ ...scorecard, services: [] })),
        }),
      );
      expect(
        await screen.findByText('No services to score'),
      ).toBeInTheDocument();
    });

    it('shows an error with a retry', async () => {
      const getScorecard = jest
        .fn()
        .mockRejectedValueOnce(new Error('scorecard unavailable'))
        .mockResolvedValue(scorecard);
      await open('/deployment-quality/scorecard', fakeApi({ getScorecard }));
      await userEvent.click(
        await screen.findByRole('button', { name: 'Retry' }),
      );
      expect(await screen.findByText('payments')).toBeInTheDocument();
    });
  });
});
