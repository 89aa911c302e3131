/** The windows offered everywhere, in days ending today. */
export const WINDOW_PRESETS = [7, 30, 90] as const;

/** A preset number of days ending today, or a custom range of UTC days. */
export type TimeWindow =
  | { days: (typeof WINDOW_PRESETS)[number] }
  | { from: string; to: string };

export const DEFAULT_WINDOW: TimeWindow = { days: 30 };

const DAY_MS = 86_400_000;

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The `from`/`to` query of a window. The backend buckets by UTC day and
 * includes the whole of a `to` given as a day, so "7 days" is today and the
 * six days before it: seven full buckets.
 */
export function windowQuery(
  window: TimeWindow,
  now: number = Date.now(),
): { from: string; to: string } {
  if ('from' in window) return { from: window.from, to: window.to };
  return {
    from: utcDay(now - (window.days - 1) * DAY_MS),
    to: utcDay(now),
  };
}

/** "Last 30 days" or "2026-02-01 – 2026-02-28". */
export function describeWindow(window: TimeWindow): string {
  return 'days' in window
    ? `last ${window.days} days`
    : `${window.from} – ${window.to}`;
}
