import { TestApiProvider } from '@backstage/test-utils';
import { SignalApi, signalApiRef } from '@backstage/plugin-signals-react';
import {
  LIVE_CHANNEL,
  LiveChange,
} from '@deployment-quality/plugin-deployment-quality-common';
import { act, renderHook, waitFor } from '@testing-library/react';
import { PropsWithChildren } from 'react';
import {
  LIVE_MIN_INTERVAL_MS,
  REFRESH_INTERVAL_MS,
  onCluster,
  useAutoRefresh,
} from './useAutoRefresh';
import { ReadOptions } from '../../api/DeploymentQualityApi';

/** A signals API whose messages the test sends. */
function fakeSignals() {
  const listeners = new Map<string, (m: LiveChange) => void>();
  const api: SignalApi = {
    subscribe: (channel, onMessage) => {
      listeners.set(channel, onMessage as any);
      return { unsubscribe: () => listeners.delete(channel) };
    },
  };
  const wrapper = ({ children }: PropsWithChildren<{}>) => (
    <TestApiProvider apis={[[signalApiRef, api]]}>{children}</TestApiProvider>
  );
  return {
    wrapper,
    send: (change: LiveChange) =>
      act(() => listeners.get(LIVE_CHANNEL)?.(change)),
    subscribed: () => listeners.has(LIVE_CHANNEL),
  };
}

describe('useAutoRefresh', () => {
  afterEach(() => jest.useRealTimers());

  it('loads again every minute, keeping the last answer meanwhile', async () => {
    jest.useFakeTimers();
    let n = 0;
    const load = jest.fn(async () => ++n);
    const { result } = renderHook(() => useAutoRefresh(load, ['same-filter']));
    await waitFor(() => expect(result.current.value).toBe(1));

    act(() => jest.advanceTimersByTime(REFRESH_INTERVAL_MS));
    expect(result.current.value).toBe(1);
    await waitFor(() => expect(result.current.value).toBe(2));
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('skips refreshes while the tab is hidden', async () => {
    jest.useFakeTimers();
    const load = jest.fn(async () => 'answer');
    const visibility = jest
      .spyOn(document, 'visibilityState', 'get')
      .mockReturnValue('hidden');
    const { result } = renderHook(() => useAutoRefresh(load, []));
    await waitFor(() => expect(result.current.value).toBe('answer'));
    act(() => jest.advanceTimersByTime(3 * REFRESH_INTERVAL_MS));
    expect(load).toHaveBeenCalledTimes(1);
    visibility.mockRestore();
  });

  it('reloads at once when a filter changes', async () => {
    const load = jest.fn(async (filter: string) => filter);
    const { result, rerender } = renderHook(
      ({ filter }) => useAutoRefresh(() => load(filter), [filter]),
      { initialProps: { filter: 'FAILED' } },
    );
    await waitFor(() => expect(result.current.value).toBe('FAILED'));
    rerender({ filter: 'ROLLBACK' });
    await waitFor(() => expect(result.current.value).toBe('ROLLBACK'));
  });

  it('reloads when the backend signals a change on a cluster it shows, at most every few seconds', async () => {
    jest.useFakeTimers();
    const signals = fakeSignals();
    let n = 0;
    const load = jest.fn(async (_read: ReadOptions) => ++n);
    const { result } = renderHook(
      () => useAutoRefresh(load, [], { live: onCluster('prod-eu') }),
      { wrapper: signals.wrapper },
    );
    await waitFor(() => expect(result.current.value).toBe(1));
    expect(signals.subscribed()).toBe(true);

    signals.send({ clusters: ['stage-eu'] });
    act(() => jest.advanceTimersByTime(1000));
    expect(load).toHaveBeenCalledTimes(1);

    signals.send({ clusters: ['stage-eu', 'prod-eu'] });
    act(() => jest.advanceTimersByTime(0));
    await waitFor(() => expect(result.current.value).toBe(2));

    // A burst right after: one more reload, once the interval has passed.
    signals.send({ clusters: ['prod-eu'] });
    signals.send({ clusters: ['prod-eu'] });
    act(() => jest.advanceTimersByTime(LIVE_MIN_INTERVAL_MS - 100));
    expect(load).toHaveBeenCalledTimes(2);
    act(() => jest.advanceTimersByTime(100));
    await waitFor(() => expect(result.current.value).toBe(3));
    expect(load).toHaveBeenCalledTimes(3);

    // A signalled reload asks for figures as of the write; the others may
    // take what the backend kept.
    act(() => jest.advanceTimersByTime(REFRESH_INTERVAL_MS));
    await waitFor(() => expect(result.current.value).toBe(4));
    expect(load.mock.calls.map(([read]) => read)).toEqual([
      { fresh: false },
      { fresh: true },
      { fresh: true },
      { fresh: false },
    ]);
  });

  it('does not listen without a filter, nor without the signals plugin', async () => {
    const signals = fakeSignals();
    const load = jest.fn(async () => 'answer');
    const { result } = renderHook(() => useAutoRefresh(load, []), {
      wrapper: signals.wrapper,
    });
    await waitFor(() => expect(result.current.value).toBe('answer'));
    expect(signals.subscribed()).toBe(false);
    const bare = renderHook(() =>
      useAutoRefresh(load, [], { live: () => true }),
    );
    await waitFor(() => expect(bare.result.current.value).toBe('answer'));
  });
});
