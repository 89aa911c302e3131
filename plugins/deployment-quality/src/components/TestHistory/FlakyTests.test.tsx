import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeApi, flakyTests, quarantine } from '../../__testUtils__/fixtures';
import { renderWithApi } from '../../__testUtils__/render';
import { FlakyTests } from './FlakyTests';

describe('FlakyTests', () => {
  it('lists the flaky tests with rate and why, and opens a test’s history', async () => {
    const api = fakeApi();
    await renderWithApi(<FlakyTests from="2026-01-25" />, api);
    const row = (await screen.findByText('totals the prices')).closest('tr')!;
    expect(row).toHaveTextContent('com.example.CartTest');
    expect(row).toHaveTextContent('37.5 %');
    expect(row).toHaveTextContent('3 of 8');
    expect(row).toHaveTextContent('flipped on one version');
    expect(row).toHaveTextContent('passed on retry');
    expect(
      screen.getByLabelText('Change failure rate without test noise'),
    ).toHaveTextContent(
      'Change failure rate 25.0 % (2 of 8); without the 1 failures only flaky or quarantined tests caused: 12.5 % (1 of 8)',
    );

    await userEvent.click(
      screen.getByRole('button', { name: 'History of totals the prices' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Test history: totals the prices',
    });
    expect(api.getEntityTestHistory).toHaveBeenCalledWith(
      expect.objectContaining({ name: expect.any(String) }),
      '17',
      { from: '2026-01-25', to: undefined, limit: 50 },
    );
    expect(
      await within(dialog).findByRole('img', {
        name: 'Last 2 runs: 1 failed, 1 flaky',
      }),
    ).toBeInTheDocument();
    expect(
      within(dialog).getByText('timeout after <n> ms'),
    ).toBeInTheDocument();
    expect(dialog).toHaveTextContent('failed (flaky: flip)');
    expect(dialog).toHaveTextContent('5.01 s');
  });

  it('quarantines a flaky test with a reason, and lifts a quarantine', async () => {
    const api = fakeApi();
    await renderWithApi(<FlakyTests />, api);
    const quarantined = (await screen.findByText('applies a coupon')).closest(
      'tr',
    )!;
    expect(quarantined).toHaveTextContent(
      'JIRA-42: the coupon service is down',
    );
    expect(quarantined).toHaveTextContent('user:default/guest');

    await userEvent.click(
      screen.getByRole('button', { name: 'Quarantine totals the prices' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Quarantine totals the prices',
    });
    const confirm = within(dialog).getByRole('button', { name: 'Quarantine' });
    expect(confirm).toBeDisabled();
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'JIRA-77',
    );
    await userEvent.click(confirm);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.quarantineTest).toHaveBeenCalledWith(
      expect.objectContaining({ name: expect.any(String) }),
      '17',
      'JIRA-77',
    );

    await userEvent.click(
      screen.getByRole('button', {
        name: 'Lift the quarantine of applies a coupon',
      }),
    );
    expect(api.liftQuarantine).toHaveBeenCalledWith(
      expect.objectContaining({ name: expect.any(String) }),
      '21',
    );
  });

  it('keeps the quarantine dialog open with the backend’s reason when it refuses, and closes on Cancel', async () => {
    const api = fakeApi({
      quarantineTest: jest.fn(async () => {
        throw new Error('reason: at most 500 characters');
      }),
    });
    await renderWithApi(<FlakyTests />, api);
    await userEvent.click(
      await screen.findByRole('button', {
        name: 'Quarantine totals the prices',
      }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Quarantine totals the prices',
    });
    await userEvent.type(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
      'JIRA-78',
    );
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Quarantine' }),
    );
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'reason: at most 500 characters',
    );
    expect(
      within(dialog).getByRole('textbox', { name: /Reason/ }),
    ).toHaveAttribute('aria-invalid', 'true');
    await userEvent.click(
      within(dialog).getByRole('button', { name: 'Cancel' }),
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('offers no quarantine without the permission', async () => {
    const api = fakeApi({
      getEntityQuarantine: jest.fn(async () => ({
        ...quarantine,
        canManage: false,
      })),
    });
    await renderWithApi(<FlakyTests />, api);
    const row = (await screen.findByText('totals the prices')).closest('tr')!;
    expect(row).toHaveTextContent('counts');
    expect(screen.queryByRole('button', { name: /^Quarantine / })).toBeNull();
    expect(screen.queryByRole('button', { name: /Lift/ })).toBeNull();
  });

  it('shows nothing while no test is flaky or quarantined', async () => {
    const api = fakeApi({
      getEntityFlakyTests: jest.fn(async () => ({ ...flakyTests, tests: [] })),
      getEntityQuarantine: jest.fn(async () => ({ ...quarantine, tests: [] })),
    });
    await renderWithApi(<FlakyTests />, api);
    await waitFor(() => expect(api.getEntityFlakyTests).toHaveBeenCalled());
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
    expect(screen.queryByText('Flaky tests')).toBeNull();
  });
});
