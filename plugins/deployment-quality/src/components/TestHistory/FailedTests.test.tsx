import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { buildDetail, fakeApi } from '../../__testUtils__/fixtures';
import { renderWithApi } from '../../__testUtils__/render';
import { FailedTests } from './FailedTests';

describe('FailedTests', () => {
  it('lists a build’s failed and retried tests and opens a test’s history on its Component', async () => {
    const api = fakeApi();
    await renderWithApi(
      <FailedTests
        tests={buildDetail.failedTests}
        entityRef={buildDetail.entityRef}
      />,
      api,
    );
    expect(
      (await screen.findByText('totals the prices')).closest('tr'),
    ).toHaveTextContent('timeout after 5012 ms');
    expect(screen.getByText('adds an item').closest('tr')).toHaveTextContent(
      'passed after 2 failed retries',
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'History of totals the prices' }),
    );
    await screen.findByRole('dialog', {
      name: 'Test history: totals the prices',
    });
    expect(api.getEntityTestHistory).toHaveBeenCalledWith(
      { kind: 'component', namespace: 'default', name: 'authentication' },
      '17',
      { from: undefined, to: undefined, limit: 50 },
    );
  });

  it('names the tests without links when the service has no Component', async () => {
    await renderWithApi(
      <FailedTests tests={buildDetail.failedTests} />,
      fakeApi(),
    );
    expect(await screen.findByText('totals the prices')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^History of/ })).toBeNull();
  });
});
