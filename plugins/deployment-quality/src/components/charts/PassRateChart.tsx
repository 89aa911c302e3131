import {
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatPercent } from '../shared/format';
import { ChartCard } from './ChartCard';

// Distinct, colour-blind-safe hues (Okabe–Ito) for however many suites ran.
const SUITE_COLOURS = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
];

const asRate = (v: string | number | null | undefined) =>
  typeof v === 'number' ? v : null;

/** The mean of the days that had runs, for the screen-reader summary. */
const meanRate = (rates: (number | null)[]) => {
  const known = rates.filter((r): r is number => r !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) / known.length : null;
};

/**
 * Pass rate per suite per bucket: the builds' test suites, or the
 * cluster-regions' own validations.
 */
export const PassRateChart = ({
  title,
  labels,
  bySuite,
  definition,
  empty,
}: {
  title: string;
  labels: string[];
  bySuite: Record<string, (string | number | null)[]>;
  definition: string;
  /** Shown when no suite ran in the window. */
  empty: string;
}) => {
  const suites = Object.keys(bySuite).sort();
  const rates = Object.fromEntries(
    suites.map(s => [s, (bySuite[s] ?? []).map(asRate)]),
  );
  const rows = labels.map((label, i) => ({
    label,
    ...Object.fromEntries(suites.map(s => [s, rates[s][i]])),
  }));
  const ran = suites.filter(s => meanRate(rates[s]) !== null);
  return (
    <ChartCard
      title={title}
      summary={
        ran
          .map(s => `${s} averages ${formatPercent(meanRate(rates[s]))}`)
          .join(', ') || 'no runs'
      }
      definition={definition}
      empty={ran.length === 0 ? empty : undefined}
    >
      <LineChart data={rows}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="label" />
        <YAxis domain={[0, 100]} unit="%" />
        <Tooltip formatter={v => formatPercent(asRate(v as number))} />
        <Legend />
        {ran.map((s, i) => (
          <Line
            key={s}
            dataKey={s}
            name={s}
            stroke={SUITE_COLOURS[i % SUITE_COLOURS.length]}
            connectNulls
            dot={false}
          />
        ))}
      </LineChart>
    </ChartCard>
  );
};
