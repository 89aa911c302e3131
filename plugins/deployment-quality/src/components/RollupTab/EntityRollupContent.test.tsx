import { screen, within } from '@testing-library/react';
import { Entity } from '@backstage/catalog-model';
import { fakeApi, rollup } from '../../__testUtils__/fixtures';
import { renderWithApi } from '../../__testUtils__/render';
import { EntityRollupContent } from './EntityRollupContent';

const team: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'team-a', namespace: 'default' },
  spec: { type: 'team', children: [] },
};

describe('EntityRollupContent', () => {
  it('lists the team’s services per cluster-region, failures first, each linked to its Component', async () => {
    const api = fakeApi();
    await renderWithApi(<EntityRollupContent />, api, { entity: team });
    await screen.findByText('Services per cluster-region');
    const table = screen.getByText('mira-us-west-2').closest('table')!;
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map(r => r.textContent)).toEqual([
      expect.stringMatching(/^Authentication.*mira-us-west-2.*3\.4\.2.*Failed/),
      expect.stringMatching(/^Authentication.*vega-eu-west-1.*3\.4\.1/),
      expect.stringMatching(/^Payments.*vega-eu-west-1.*2\.0\.0/),
    ]);
    expect(
      within(rows[0]).getByRole('link', { name: 'Authentication' }),
    ).toHaveAttribute('href', '/catalog/default/component/authentication');
    expect(api.getEntityRollup).toHaveBeenCalledWith(
      { kind: 'Group', namespace: 'default', name: 'team-a' },
      // The server's default benchmark until one is picked.
      { benchmark: undefined },
    );

    const totals = screen.getByRole('list', { name: 'Roll-up totals' });
    expect(totals).toHaveTextContent('Services2');
    expect(totals).toHaveTextContent('Needing attention1');
    expect(
      screen.getByRole('region', { name: /^Change failure rate/ }),
    ).toHaveTextContent('2 failed / 8 finished');
  });

  it('says so when none of the Components has reported', async () => {
    await renderWithApi(
      <EntityRollupContent />,
      fakeApi({
        getEntityRollup: jest.fn(async () => ({
          ...rollup,
          services: [],
          scorecard: [],
        })),
      }),
      { entity: team },
    );
    expect(
      await screen.findByText(/has reported a deployment yet/),
    ).toBeInTheDocument();
  });
});
