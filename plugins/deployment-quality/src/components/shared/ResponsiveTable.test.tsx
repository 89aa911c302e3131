import { renderInTestApp } from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ResponsiveTable } from './ResponsiveTable';

type Row = { name: string; latest: { status: string }; gates?: string };

const rows: Row[] = Array.from({ length: 7 }, (_, i) => ({
  name: `svc-${i}`,
  latest: { status: i === 0 ? 'FAILED' : 'SUCCESS' },
  ...(i === 0 ? { gates: 'functional 117/120' } : {}),
}));

const columns = [
  { title: 'Service', field: 'name' },
  { title: 'Status', field: 'latest.status' },
  { title: 'Gates', render: (r: Row) => r.gates ?? null },
];

/** A window as wide as `width`: MUI's media queries answer from it. */
function viewport(width: number) {
  window.matchMedia = ((query: string) => {
    const max = /max-width:\s*([\d.]+)px/.exec(query);
    const min = /min-width:\s*([\d.]+)px/.exec(query);
    const matches =
      (!max || width <= Number(max[1])) && (!min || width >= Number(min[1]));
    return {
      matches,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    };
  }) as typeof window.matchMedia;
}

describe('ResponsiveTable', () => {
  const original = window.matchMedia;
  afterEach(() => {
    window.matchMedia = original;
  });

  it('is a table at desktop width', async () => {
    viewport(1440);
    await renderInTestApp(
      <ResponsiveTable<Row> title="Services" columns={columns} data={rows} />,
    );
    expect(screen.getAllByRole('table').length).toBeGreaterThan(0);
    expect(screen.getByText('svc-0')).toBeInTheDocument();
    expect(screen.queryByRole('list', { name: 'Services' })).toBeNull();
  });

  it('is one card per row at phone width, every column labelled, in the given order', async () => {
    viewport(390);
    await renderInTestApp(
      <ResponsiveTable<Row>
        title="Services"
        columns={columns}
        data={rows}
        options={{ paging: true, pageSize: 5 }}
      />,
    );
    expect(screen.queryByRole('table')).toBeNull();
    const list = screen.getByRole('list', { name: 'Services' });
    const cards = within(list).getAllByRole('listitem');
    // A page, then more on demand.
    expect(cards).toHaveLength(5);
    expect(cards[0]).toHaveTextContent('Servicesvc-0');
    expect(cards[0]).toHaveTextContent('StatusFAILED');
    expect(cards[0]).toHaveTextContent('Gatesfunctional 117/120');
    // A column without a value is left out of its card.
    expect(cards[1]).not.toHaveTextContent('Gates');
    await userEvent.click(
      screen.getByRole('button', { name: 'Show more (2 left)' }),
    );
    expect(within(list).getAllByRole('listitem')).toHaveLength(7);
  });
});
