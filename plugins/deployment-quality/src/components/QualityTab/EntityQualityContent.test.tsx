import { screen, waitFor, within, fireEvent } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  analytics,
  cost,
  emptyAnalytics,
  fakeApi,
  pending,
} from '../../__testUtils__/fixtures';
import { renderWithApi } from '../../__testUtils__/render';
import { EntityQualityContent } from './EntityQualityContent';

const render = (api = fakeApi()) =>
  renderWithApi(<EntityQualityContent />, api);

const utcDay = (daysAgo: number) =>
  new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

describe('EntityQualityContent', () => {
  it('shows the DORA figures with tier and sample size, and the charts', async () => {
    await render();
    const cfr = await screen.findByRole('region', {
      name: /^Change failure rate/,
    });
    expect(cfr).toHaveTextContent('25.0 %');
    expect(cfr).toHaveTextContent('Low · 2024');
    expect(cfr).toHaveTextContent('2 failed / 8 finished');
    const rework = screen.getByRole('region', {
      name: /^Deployment rework rate/,
    });
    expect(rework).toHaveTextContent('12.5 %');
    expect(rework).toHaveTextContent('1 rework / 8 finished');
    expect(rework).toHaveTextContent('No DORA tiers');
    const profile = screen.getByLabelText('DORA profile');
    expect(profile).toHaveTextContent('ThroughputHigh · 2024');
    expect(profile).toHaveTextContent('InstabilityLow · 2024');
    expect(
      screen.getByRole('region', { name: /^Deployment frequency/ }),
    ).toHaveTextContent('6 deploys / 3 days');
    expect(
      screen.getByRole('region', { name: /^Lead time for changes/ }),
    ).toHaveTextContent('15 min (p90 42 min)');
    expect(
      screen.getByRole('region', { name: /^Failed deployment recovery time/ }),
    ).toHaveTextContent('n = 1, 1 unrecovered');

    expect(
      screen.getByRole('img', {
        name: 'Build outcomes per day: 6 succeeded, 1 failed, 1 rolled back',
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('img', {
        name: 'Test pass rate per suite: functional averages 95.0 %, sanity averages 100.0 %',
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('img', {
        name: 'Deploy frequency and lead time: 6 deploys, lead time p50 15 min',
      }),
    ).toBeInTheDocument();
  });

  it('explains each figure in a tooltip from the answer’s definitions', async () => {
    await render();
    await userEvent.hover(
      await screen.findByRole('button', {
        name: 'How change failure rate is computed',
      }),
    );
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      analytics.definitions.changeFailureRate,
    );
  });

  it('asks for the last 30 days first, then the chosen range', async () => {
    const api = fakeApi();
    await render(api);
    await screen.findByRole('region', { name: /^Change failure rate/ });
    expect(api.getEntityAnalytics).toHaveBeenLastCalledWith(
      expect.objectContaining({ name: 'authentication' }),
      { from: utcDay(29), to: utcDay(0), clusterId: undefined },
    );

    await userEvent.click(screen.getByRole('button', { name: '7 days' }));
    expect(screen.getByRole('button', { name: '7 days' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    await waitFor(() =>
      expect(api.getEntityAnalytics).toHaveBeenLastCalledWith(
        expect.anything(),
        { from: utcDay(6), to: utcDay(0), clusterId: undefined },
      ),
    );

    await userEvent.click(screen.getByRole('button', { name: 'Custom' }));
    fireEvent.change(screen.getByLabelText('From'), {
      target: { value: '2026-01-01' },
    });
    fireEvent.change(screen.getByLabelText('To'), {
      target: { value: '2026-01-31' },
    });
    await waitFor(() =>
      expect(api.getEntityAnalytics).toHaveBeenLastCalledWith(
        expect.anything(),
        { from: '2026-01-01', to: '2026-01-31', clusterId: undefined },
      ),
    );
  });

  it('shows the scorecards other tools sent, with their checks and history', async () => {
    await render();
    const card = await screen.findByRole('region', {
      name: 'soundcheck: production readiness: 8 of 10',
    });
    expect(card).toHaveTextContent('8 / 10');
    expect(card).toHaveTextContent('✓ has runbook');
    expect(card).toHaveTextContent('✗ alerts routed');
    expect(
      within(card).getByRole('img', {
        name: 'soundcheck: production readiness: last 3 measurements, from 60 % to 80 %',
      }),
    ).toBeInTheDocument();
    expect(
      within(card).getByRole('link', {
        name: /soundcheck: production readiness/,
      }),
    ).toHaveAttribute('href', 'https://soundcheck.example.com/authn');
  });

  it('shows no such card while no other tool sent one', async () => {
    const api = fakeApi({
      getEntityExternalScorecards: jest.fn(async () => ({ scorecards: [] })),
    });
    await render(api);
    await screen.findByRole('region', { name: /^Change failure rate/ });
    await waitFor(() =>
      expect(api.getEntityExternalScorecards).toHaveBeenCalled(),
    );
    expect(
      screen.queryByText('Scorecards from other tools'),
    ).not.toBeInTheDocument();
  });

  it('shows what the service cost, per deployment and around its latest release', async () => {
    const api = fakeApi();
    await render(api);
    const tiles = await screen.findByRole('list', { name: 'Cost in USD' });
    expect(tiles).toHaveTextContent('Total (USD)$64.00');
    expect(tiles).toHaveTextContent('Mean per day$12.80');
    expect(tiles).toHaveTextContent('Per successful deployment$64.00');
    expect(
      screen.getByRole('img', {
        name: 'Cost per day in USD: 5 days, total $64.00',
      }),
    ).toBeInTheDocument();
    expect(screen.getByText(/1 estimated day/)).toBeInTheDocument();
    const share = screen.getByText('$59.00', { selector: 'td' }).closest('tr');
    expect(share).toHaveTextContent('mira-us-west-2');
    expect(share).toHaveTextContent('92.2 %');
    const release = screen.getByText('3.4.3', { selector: 'td *, td' });
    expect(release.closest('tr')).toHaveTextContent('$10.00 (2 d)');
    expect(release.closest('tr')).toHaveTextContent('$13.00 (3 d)');
    expect(release.closest('tr')).toHaveTextContent('+$3.00 (+30 %)');
    // The tab's window: the last 30 days by default.
    expect(api.getEntityCost).toHaveBeenCalledWith(expect.anything(), {
      from: utcDay(29),
      to: utcDay(0),
    });
  });

  it('shows no cost card while no cost figure arrived', async () => {
    const api = fakeApi({
      getEntityCost: jest.fn(async () => ({
        ...cost,
        currencies: [],
        deployments: [],
      })),
    });
    await render(api);
    await screen.findByRole('region', { name: /^Change failure rate/ });
    await waitFor(() => expect(api.getEntityCost).toHaveBeenCalled());
    expect(
      screen.queryByRole('list', { name: 'Cost in USD' }),
    ).not.toBeInTheDocument();
  });

  it('reads the tiers against the DORA report chosen', async () => {
    const api = fakeApi();
    await render(api);
    await screen.findByRole('region', { name: /^Change failure rate/ });
    await userEvent.click(screen.getByRole('button', { name: /Benchmark/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'DORA 2023' }),
    );
    await waitFor(() =>
      expect(api.getEntityAnalytics).toHaveBeenLastCalledWith(
        expect.anything(),
        expect.objectContaining({ benchmark: '2023' }),
      ),
    );
  });

  it('refuses a custom range that ends before it starts', async () => {
    const api = fakeApi();
    await render(api);
    await screen.findByRole('region', { name: /^Change failure rate/ });
    await userEvent.click(screen.getByRole('button', { name: 'Custom' }));
    const calls = api.getEntityAnalytics.mock.calls.length;
    fireEvent.change(screen.getByLabelText('To'), {
      target: { value: '2000-01-01' },
    });
    expect(
      await screen.findByText('Must not be before From'),
    ).toBeInTheDocument();
    expect(api.getEntityAnalytics).toHaveBeenCalledTimes(calls);
  });

  it('filters by cluster-region', async () => {
    const api = fakeApi();
    await render(api);
    await screen.findByRole('region', { name: /^Change failure rate/ });
    await userEvent.click(screen.getByLabelText('Cluster-region'));
    await userEvent.click(
      within(await screen.findByRole('listbox')).getByText('Mira US-West-2'),
    );
    await waitFor(() =>
      expect(api.getEntityAnalytics).toHaveBeenLastCalledWith(
        expect.anything(),
        expect.objectContaining({ clusterId: 'mira-us-west-2' }),
      ),
    );
  });

  it('guides when the window holds nothing', async () => {
    await render(
      fakeApi({ getEntityAnalytics: jest.fn(async () => emptyAnalytics) }),
    );
    expect(
      await screen.findByText('Nothing reported in the last 30 days'),
    ).toBeInTheDocument();
    expect(screen.getByText(/service id "authn"/)).toBeInTheDocument();
  });

  it('shows an error with a retry that loads again', async () => {
    const getEntityAnalytics = jest
      .fn()
      .mockRejectedValueOnce(new Error('analytics unavailable'))
      .mockResolvedValue(analytics);
    await render(fakeApi({ getEntityAnalytics }));
    expect(
      await screen.findByText('Error: analytics unavailable'),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(
      await screen.findByRole('region', { name: /^Change failure rate/ }),
    ).toBeInTheDocument();
    expect(getEntityAnalytics).toHaveBeenCalledTimes(2);
  });

  it('shows progress while loading', async () => {
    await render(fakeApi({ getEntityAnalytics: jest.fn(pending) }));
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });
});
