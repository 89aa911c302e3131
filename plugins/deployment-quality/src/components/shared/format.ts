/** "45 min", "3.2 h", "2.1 d": lead and restore times span minutes to weeks. */
export function formatMinutes(min: number | null | undefined): string {
  if (min === null || min === undefined) return '—';
  if (min < 60) return `${Math.round(min)} min`;
  if (min < 24 * 60) return `${(min / 60).toFixed(1)} h`;
  return `${(min / (24 * 60)).toFixed(1)} d`;
}

/** A 0–1 ratio as "12.5 %". */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return '—';
  return `${(ratio * 100).toFixed(1)} %`;
}

/** A 0–100 rate as "96.1 %". */
export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  return `${rate.toFixed(1)} %`;
}
