import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { entitySummary, fakeApi, pending } from '../../__testUtils__/fixtures';
import { renderWithApi } from '../../__testUtils__/render';
import { EntityDeploymentQualityCard } from './EntityDeploymentQualityCard';

const render = (api = fakeApi()) =>
  renderWithApi(<EntityDeploymentQualityCard />, api);

describe('EntityDeploymentQualityCard', () => {
  it('shows the current version and last status per cluster-region', async () => {
    await render();
    const list = await screen.findByRole('list', {
      name: 'Current version per cluster-region',
    });
    const [mira, vega] = within(list).getAllByRole('listitem');
    expect(mira).toHaveTextContent('Mira US-West-2');
    expect(mira).toHaveTextContent('running 3.4.2');
    expect(mira).toHaveTextContent('last attempt 3.4.3');
    expect(mira).toHaveTextContent('Failed');
    expect(vega).toHaveTextContent('running 3.4.1');
    expect(vega).toHaveTextContent('Live');
  });

  it('says so when nothing was reported', async () => {
    await render(
      fakeApi({
        getEntitySummary: jest.fn(async () => ({
          ...entitySummary,
          clusters: [],
        })),
      }),
    );
    expect(
      await screen.findByText(
        'No deployments reported yet for service id "authn".',
      ),
    ).toBeInTheDocument();
  });

  it('shows an error with a retry that loads again', async () => {
    const getEntitySummary = jest
      .fn()
      .mockRejectedValueOnce(new Error('summary unavailable'))
      .mockResolvedValue(entitySummary);
    await render(fakeApi({ getEntitySummary }));
    await userEvent.click(await screen.findByRole('button', { name: 'Retry' }));
    expect(
      await screen.findByText('running 3.4.2', { exact: false }),
    ).toBeInTheDocument();
    expect(getEntitySummary).toHaveBeenCalledTimes(2);
  });

  it('shows progress while loading', async () => {
    await render(fakeApi({ getEntitySummary: jest.fn(pending) }));
    expect(screen.getByTestId('progress')).toBeInTheDocument();
  });
});
