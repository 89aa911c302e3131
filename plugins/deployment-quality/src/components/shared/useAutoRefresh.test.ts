import { act, renderHook, waitFor } from '@testing-library/react';
import { REFRESH_INTERVAL_MS, useAutoRefresh } from './useAutoRefresh';

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
});
