const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "12 min ago" style, in the viewer's locale. */
export function relativeTime(iso: string, now = Date.now()): string {
  const diff = Date.parse(iso) - now;
  const rtf = new Intl.RelativeTimeFormat(undefined, {
    numeric: 'auto',
    style: 'short',
  });
  for (const [unit, size] of units) {
    if (Math.abs(diff) >= size)
      return rtf.format(Math.round(diff / size), unit);
  }
  return rtf.format(Math.round(diff / 1000), 'second');
}

/** Date and time in the viewer's time zone. */
export function localTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}

/** "4m 30s" for a number of seconds. */
export function formatSeconds(seconds: number): string {
  const sec = Math.max(0, Math.round(seconds));
  const m = Math.floor(sec / 60);
  return m > 0 ? `${m}m ${sec % 60}s` : `${sec}s`;
}

/** "4m 30s" for a span between two instants; "—" while it runs. */
export function duration(fromIso: string, toIso: string | null): string {
  if (!toIso) return '—';
  return formatSeconds((Date.parse(toIso) - Date.parse(fromIso)) / 1000);
}
