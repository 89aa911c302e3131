import { InputError } from '@backstage/errors';
import {
  DEFAULT_ANALYTICS_DAYS,
  MAX_ANALYTICS_DAYS,
} from '@deployment-quality/plugin-deployment-quality-common';

export const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** The time window and bucketing of one analytics request. */
export interface AnalyticsWindow {
  /** Inclusive start, epoch ms. */
  from: number;
  /** Exclusive end, epoch ms. */
  to: number;
  bucket: 'day' | 'week';
  /** Start of the first bucket (≤ from), epoch ms. */
  origin: number;
  /** Bucket length, ms. */
  size: number;
  /** One label (`YYYY-MM-DD`, the bucket's first day) per bucket. */
  labels: string[];
}

const isDateOnly = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);

/**
 * Resolves `from`/`to`: a date-only `from` is that UTC midnight, a date-only
 * `to` includes that whole day; timestamps are taken as given (`to`
 * exclusive). Defaults: `to` now, `from` 30 days before `to`.
 */
export function resolveWindow(
  query: { from?: string; to?: string; bucket: 'day' | 'week' },
  now = Date.now(),
): AnalyticsWindow {
  const to = query.to
    ? Date.parse(query.to) + (isDateOnly(query.to) ? DAY_MS : 0)
    : now;
  const from = query.from
    ? Date.parse(query.from)
    : to - DEFAULT_ANALYTICS_DAYS * DAY_MS;
  if (!(from < to)) {
    throw new InputError("Invalid query parameter 'from': must be before 'to'");
  }
  if (to - from > MAX_ANALYTICS_DAYS * DAY_MS) {
    throw new InputError(
      `Invalid query parameter 'from': the window may span at most ${MAX_ANALYTICS_DAYS} days`,
    );
  }
  const day0 = Math.floor(from / DAY_MS) * DAY_MS;
  // 1970-01-01 was a Thursday: shift so weeks start on Monday.
  const origin =
    query.bucket === 'week'
      ? day0 - ((Math.floor(day0 / DAY_MS) + 3) % 7) * DAY_MS
      : day0;
  const size = query.bucket === 'week' ? WEEK_MS : DAY_MS;
  const labels: string[] = [];
  for (let t = origin; t < to; t += size) {
    labels.push(new Date(t).toISOString().slice(0, 10));
  }
  return { from, to, bucket: query.bucket, origin, size, labels };
}
