import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import {
  fakeApi,
  hoursAgo,
  pending,
  status,
} from '../../__testUtils__/fixtures';
import { renderWithApi } from '../../__testUtils__/render';
import { DeploymentQualityApi } from '../../api/DeploymentQualityApi';
import { DeploymentQualityPage } from './DeploymentQualityPage';
import { StatusPanel } from './StatusPanel';

const item = (label: RegExp) =>
  within(screen.getByRole('list', { name: 'Ingestion status' }))
    .getAllByRole('listitem')
    .find(li => label.test(li.textContent ?? ''))!;

describe('StatusPanel', () => {
  it('shows the database, consumer, queue and last retention run', async () => {
    await renderWithApi(<StatusPanel />, fakeApi());
    await screen.findByRole('list', { name: 'Ingestion status' });
    expect(item(/^Database/)).toHaveTextContent('reachable (3 ms)');
    expect(item(/^Database/)).toHaveTextContent('rollups up to date');
    expect(item(/^Consumer/)).toHaveTextContent('Consumer (queue mode)');
    expect(item(/^Consumer/)).toHaveTextContent('running');
    expect(item(/^Consumer/)).toHaveTextContent('last receive');
    expect(item(/^Consumer/)).toHaveTextContent('lag 2 s');
    expect(item(/^Queue/)).toHaveTextContent('4 waiting · 1 in flight');
    expect(item(/^Queue/)).toHaveTextContent('DLQ: 0');
    expect(item(/^Last retention run/)).toHaveTextContent('12 rows deleted');
    expect(item(/^Last retention run/)).toHaveTextContent('keeps 365 days');
    expect(screen.getByText(/All good/)).toBeInTheDocument();
    expect(screen.queryByRole('list', { name: 'Problems' })).toBeNull();
  });

  it('puts the problems first, as a warning, when the backend is not ok', async () => {
    const api = fakeApi({
      getStatus: jest.fn(async () => ({
        ...status,
        ok: false,
        problems: [
          'the consumer is backing off: database unreachable',
          '3 messages in the DLQ',
        ],
        database: { ok: false, error: 'connect ECONNREFUSED' },
        ingestion: {
          ...status.ingestion,
          consumer: {
            state: 'backing-off' as const,
            reason: 'database unreachable',
            lastReceiveAt: hoursAgo(1),
            receiveErrors: 0,
            failedWrites: 2,
          },
          queue: { depth: 120, inFlight: 0, dlqDepth: 3 },
        },
        rollups: { queuedKeys: 12, oldestQueuedAt: hoursAgo(1) },
      })),
    });
    await renderWithApi(<StatusPanel />, api);
    expect(
      await screen.findByText(/Ingestion needs attention/),
    ).toBeInTheDocument();
    const problems = screen.getByRole('list', { name: 'Problems' });
    expect(
      within(problems)
        .getAllByRole('listitem')
        .map(li => li.textContent),
    ).toEqual([
      'the consumer is backing off: database unreachable',
      '3 messages in the DLQ',
    ]);
    expect(item(/^Database/)).toHaveTextContent(
      'unreachable: connect ECONNREFUSED',
    );
    expect(item(/^Database/)).toHaveTextContent(
      'rollups: 12 key(s) queued since',
    );
    expect(item(/^Consumer/)).toHaveTextContent(
      'backing off: database unreachable',
    );
    expect(item(/^Consumer/)).toHaveTextContent('2 failed writes');
    expect(item(/^Queue/)).toHaveTextContent('DLQ: 3');
    expect(screen.getByText(/2 problem\(s\)/)).toBeInTheDocument();
  });

  it('says when there is no consumer and no retention run yet', async () => {
    const api = fakeApi({
      getStatus: jest.fn(async () => ({
        ...status,
        ingestion: { mode: 'embedded' as const },
        retention: { days: 90 },
      })),
    });
    await renderWithApi(<StatusPanel />, api);
    await screen.findByRole('list', { name: 'Ingestion status' });
    expect(item(/^Consumer/)).toHaveTextContent(
      'none: the webhook stores events itself',
    );
    expect(item(/^Queue/)).toHaveTextContent('no queue');
    expect(item(/^Last retention run/)).toHaveTextContent('not run yet');
  });

  it('shows progress, then the error with a retry that loads again', async () => {
    const getStatus = jest
      .fn<ReturnType<DeploymentQualityApi['getStatus']>, []>()
      .mockRejectedValueOnce(new Error('status unavailable'))
      .mockResolvedValue(status);
    await renderWithApi(<StatusPanel />, fakeApi({ getStatus }));
    expect(
      (await screen.findAllByText(/status unavailable/))[0],
    ).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await screen.findByRole('list', { name: 'Ingestion status' });
    expect(getStatus).toHaveBeenCalledTimes(2);
  });

  it('stays loading while the status is on its way', async () => {
    await renderWithApi(
      <StatusPanel />,
      fakeApi({ getStatus: jest.fn(pending) }),
    );
    expect(await screen.findByRole('progressbar')).toBeInTheDocument();
  });

  it('sits on the page overview, and the clusters still show when it fails', async () => {
    await renderWithApi(
      <Routes>
        <Route
          path="/deployment-quality/*"
          element={<DeploymentQualityPage />}
        />
      </Routes>,
      fakeApi({
        getStatus: jest.fn(async () => {
          throw new Error('status unavailable');
        }),
      }),
      { path: '/deployment-quality' },
    );
    expect(
      await screen.findByRole('link', { name: 'Mira US-West-2' }),
    ).toBeInTheDocument();
    expect(
      (await screen.findAllByText(/status unavailable/))[0],
    ).toBeInTheDocument();
    expect(screen.getByText('Ingestion status')).toBeInTheDocument();
  });
});
