import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { entitySummary, fakeApi, pending } from '../../__testUtils__/fixtures';
import { renderWithApi } from '../../__testUtils__/render';
import { EntityDeploymentsContent } from './EntityDeploymentsContent';

const render = (api = fakeApi()) =>
  renderWithApi(<EntityDeploymentsContent />, api);

describe('EntityDeploymentsContent', () => {
  it('shows the cluster matrix, the attempts and the promotions', async () => {
    const api = fakeApi();
    await render(api);
    expect(await screen.findByText('Mira US-West-2')).toBeInTheDocument();
    expect(screen.getByText('Vega EU-West-1')).toBeInTheDocument();
    expect(
      screen.getByLabelText('functional gate failed: 18 of 20 passed'),
    ).toBeInTheDocument();
    expect(await screen.findByText('smoke tests failed')).toBeInTheDocument();
    // How long and what started it, under when.
    expect(screen.getAllByText('4m 30s · merge')).toHaveLength(2);
    const promotions = await screen.findByRole('list', { name: 'Promotions' });
    expect(promotions).toHaveTextContent(
      '3.4.1 from mira-us-west-2 to vega-eu-west-1',
    );
    expect(promotions).toHaveTextContent('by bob');
    expect(api.getEntitySummary).toHaveBeenCalledWith({
      kind: 'Component',
      namespace: 'default',
      name: 'authentication',
    });
  });

  it('pages the attempts with the cursor and back', async () => {
    const api = fakeApi();
    await render(api);
    await screen.findByText('smoke tests failed');
    const [olderAttempts] = screen.getAllByRole('button', { name: 'Older' });
    await userEvent.click(olderAttempts);
    await waitFor(() =>
      expect(api.getEntityAttempts).toHaveBeenLastCalledWith(
        expect.anything(),
        expect.objectContaining({ cursor: 'page-2' }),
      ),
    );
    const [newerAttempts] = screen.getAllByRole('button', { name: 'Newer' });
    await waitFor(() => expect(newerAttempts).toBeEnabled());
    await userEvent.click(newerAttempts);
    await waitFor(() =>
      expect(api.getEntityAttempts).toHaveBeenLastCalledWith(
        expect.anything(),
        expect.objectContaining({ cursor: undefined }),
      ),
    );
  });

  it('filters the attempts by status and cluster-region', async () => {
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
      within(screen.getByRole('listbox')).getByText('Vega EU-West-1'),
    );
    await waitFor(() =>
      expect(api.getEntityAttempts).toHaveBeenLastCalledWith(
        expect.anything(),
        expect.objectContaining({
          status: 'FAILED',
          clusterId: 'vega-eu-west-1',
        }),
      ),
    );
  });

  it('opens an attempt’s build detail with its test runs and promotions', async () => {
    const api = fakeApi();
    await render(api);
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Details of build 3.4.3 on mira-us-west-2',
      }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Build 3.4.3 on mira-us-west-2',
    });
    expect(await within(dialog).findByText('18 / 20')).toBeInTheDocument();
    // The FUNCTIONAL run, and the suite of each of its two failed tests.
    expect(within(dialog).getAllByText('FUNCTIONAL')).toHaveLength(3);
    expect(within(dialog).getByText('Failed tests (2)')).toBeInTheDocument();
    expect(within(dialog).getByText('90.0 %')).toBeInTheDocument();
    expect(within(dialog).getByText('2m 5s')).toBeInTheDocument();
    expect(
      within(dialog).getByRole('link', { name: /^FUNCTIONAL test report/ }),
    ).toHaveAttribute('href', 'https://ci.example.com/reports/functional/1284');
    expect(
      within(dialog).getByRole('list', { name: 'Promotions' }),
    ).toHaveTextContent('3.4.3 from mira-us-west-2 to vega-eu-west-1');
    expect(api.getBuild).toHaveBeenCalledWith('mira-us-west-2:authn:3.4.3:3');

    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Close' }),
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('guides an entity without deployments to the annotation', async () => {
    const api = fakeApi({
      getEntitySummary: jest.fn(async () => ({
        ...entitySummary,
        clusters: [],
      })),
    });
    await render(api);
    expect(
      await screen.findByText('No deployments reported yet'),
    ).toBeInTheDocument();
    expect(screen.getByText(/service id "authn"/)).toBeInTheDocument();
    // The snippet is split into highlighted tokens: match the whole text.
    expect(document.body).toHaveTextContent(
      'deployment-quality/service-id: authn',
    );
  });

  it('shows an error with a retry that loads again', async () => {
    const getEntitySummary = jest
      .fn()
      .mockRejectedValueOnce(new Error('backend unavailable'))
      .mockResolvedValue(entitySummary);
    await render(fakeApi({ getEntitySummary }));
    expect(
      await screen.findByText('Error: backend unavailable'),
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByText('Mira US-West-2')).toBeInTheDocument();
    expect(getEntitySummary).toHaveBeenCalledTimes(2);
  });

  it('shows an error in the attempts list without hiding the matrix', async () => {
    const getEntityAttempts = jest
      .fn()
      .mockRejectedValueOnce(new Error('attempts unavailable'))
      .mockResolvedValue({ attempts: [] });
    await render(fakeApi({ getEntityAttempts }));
    expect(
      await screen.findByText('Error: attempts unavailable'),
    ).toBeInTheDocument();
    expect(screen.getByText('Mira US-West-2')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(
      await screen.findByText('No attempts match these filters.'),
    ).toBeInTheDocument();
  });

  it('shows progress while loading', async () => {
    await render(fakeApi({ getEntitySummary: jest.fn(pending) }));
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });
});
