import { DependencyList, useEffect } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';

/** How often views reload their data on their own. */
export const REFRESH_INTERVAL_MS = 60_000;

/** What a view renders from: the last answer, the loading flag, the error. */
export type AsyncState<T> = {
  value?: T;
  loading: boolean;
  error?: Error;
  retry: () => void;
};

/**
 * Loads with `load` whenever `deps` change, and again every minute. Filters
 * live in the caller's state and are part of `deps`, so a refresh reloads the
 * same view; the previous answer stays on screen while the next one loads.
 * A hidden tab skips its refreshes: nobody is looking, and the next visible
 * tick catches up.
 */
export function useAutoRefresh<T>(
  load: () => Promise<T>,
  deps: DependencyList,
  intervalMs: number = REFRESH_INTERVAL_MS,
): AsyncState<T> {
  const state = useAsyncRetry(load, deps);
  const { retry } = state;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') retry();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [retry, intervalMs]);
  return state;
}
