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

const money = new Map<string, Intl.NumberFormat>();

/** An amount in its currency ("$1,234.56", "€7.00"); never converted. */
export function formatMoney(
  amount: number | null | undefined,
  currency: string,
): string {
  if (amount === null || amount === undefined) return '—';
  let format = money.get(currency);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    money.set(currency, format);
  }
  return format.format(amount);
}
