import { useApiHolder } from '@backstage/core-plugin-api';
import { signalApiRef } from '@backstage/plugin-signals-react';
import {
  LIVE_CHANNEL,
  LiveChange,
} from '@deployment-quality/plugin-deployment-quality-common';
import { DependencyList, useEffect, useRef } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { ReadOptions } from '../../api/DeploymentQualityApi';

/** How often views reload their data on their own. */
export const REFRESH_INTERVAL_MS = 60_000;

/**
 * A view reloads on a live signal at most this often: while writes stream
 * in, a thousand open pages must not each reload on every one.
 */
export const LIVE_MIN_INTERVAL_MS = 10_000;

/** What a view renders from: the last answer, the loading flag, the error. */
export type AsyncState<T> = {
  value?: T;
  loading: boolean;
  error?: Error;
  retry: () => void;
};

/** Whether a change the backend signalled concerns the view. */
export type LiveFilter = (change: LiveChange) => boolean;

/** Changes on one cluster-region. */
export const onCluster =
  (clusterId: string): LiveFilter =>
  change =>
    change.clusters.includes(clusterId);

/**
 * Loads with `load` whenever `deps` change, and again every minute. Filters
 * live in the caller's state and are part of `deps`, so a refresh reloads the
 * same view; the previous answer stays on screen while the next one loads.
 * A hidden tab skips its refreshes: nobody is looking, and the next visible
 * tick catches up.
 *
 * With `live`, and the signals plugin installed in the app, the view also
 * reloads when the backend says a cluster-region it shows got new attempts
 * or test runs (at most every {@link LIVE_MIN_INTERVAL_MS}); the minute's
 * refresh stays as the fallback. That reload asks `load` for `fresh`
 * figures: the backend may otherwise answer a fleet-wide read with one it
 * kept from before the write it signalled.
 */
export function useAutoRefresh<T>(
  load: (read: ReadOptions) => Promise<T>,
  deps: DependencyList,
  options: { intervalMs?: number; live?: LiveFilter } = {},
): AsyncState<T> {
  const { intervalMs = REFRESH_INTERVAL_MS, live } = options;
  // Set just before a reload a signal asked for; that load takes it.
  const freshNext = useRef(false);
  const state = useAsyncRetry(() => {
    const fresh = freshNext.current;
    freshNext.current = false;
    return load({ fresh });
  }, deps);
  const { retry } = state;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') retry();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [retry, intervalMs]);

  // The latest filter and reload (a new one after each load), without
  // subscribing again each time, which would forget the last reload.
  const filter = useRef(live);
  filter.current = live;
  const reload = useRef(retry);
  reload.current = retry;
  const signals = useApiHolder().get(signalApiRef);
  const wantsLive = Boolean(live);
  useEffect(() => {
    if (!signals || !wantsLive) return undefined;
    let last = 0;
    let pending: ReturnType<typeof setTimeout> | undefined;
    const { unsubscribe } = signals.subscribe<LiveChange>(
      LIVE_CHANNEL,
      message => {
        const clusters = Array.isArray(message?.clusters)
          ? message.clusters.filter((c): c is string => typeof c === 'string')
          : [];
        if (pending || !filter.current?.({ clusters })) return;
        pending = setTimeout(() => {
          pending = undefined;
          last = Date.now();
          if (document.visibilityState !== 'hidden') {
            freshNext.current = true;
            reload.current();
          }
        }, Math.max(0, last + LIVE_MIN_INTERVAL_MS - Date.now()));
      },
    );
    return () => {
      unsubscribe();
      clearTimeout(pending);
    };
  }, [signals, wantsLive]);
  return state;
}
