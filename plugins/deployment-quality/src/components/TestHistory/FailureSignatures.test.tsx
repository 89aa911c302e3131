import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeApi } from '../../__testUtils__/fixtures';
import { renderWithApi } from '../../__testUtils__/render';
import { FailureSignatures } from './FailureSignatures';

describe('FailureSignatures', () => {
  it('lists the fleet’s signatures and drills down into their failures', async () => {
    const api = fakeApi();
    await renderWithApi(<FailureSignatures from="2026-01-25" />, api);
    const row = (
      await screen.findByRole('button', {
        name: 'Failures: connection refused to <ip>',
      })
    ).closest('tr')!;
    expect(row).toHaveTextContent('14');
    expect(row).toHaveTextContent('payments (9), authn (5)');
    expect(api.getFailureSignatures).toHaveBeenCalledWith({
      from: '2026-01-25',
      to: undefined,
    });

    await userEvent.click(
      within(row).getByRole('button', {
        name: 'Failures: connection refused to <ip>',
      }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Failures with one signature',
    });
    expect(
      await within(dialog).findByText('connection refused to 10.0.4.2'),
    ).toBeInTheDocument();
    expect(within(dialog).getByRole('link', { name: '2.0.1' })).toHaveAttribute(
      'href',
      expect.stringContaining(
        encodeURIComponent('mira-us-west-2:payments:2.0.1:4'),
      ),
    );
    expect(api.getFailureSignature).toHaveBeenCalledWith('3', {
      from: '2026-01-25',
      to: undefined,
    });
  });
});
