import { useTheme } from '@material-ui/core';
import { AnalyticsResponse } from '@deployment-quality/plugin-deployment-quality-common';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { ChartCard } from './ChartCard';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Build attempts per day, stacked by outcome. */
export const OutcomesChart = ({
  analytics,
}: {
  analytics: AnalyticsResponse;
}) => {
  const { status } = useTheme().palette;
  const { labels, success, failed, rollback } = analytics.buildAttempts;
  const rows = labels.map((label, i) => ({
    label,
    success: success[i],
    failed: failed[i],
    rollback: rollback[i],
  }));
  const totals = {
    success: sum(success),
    failed: sum(failed),
    rollback: sum(rollback),
  };
  const none = totals.success + totals.failed + totals.rollback === 0;
  return (
    <ChartCard
      title="Build outcomes per day"
      summary={`${totals.success} succeeded, ${totals.failed} failed, ${totals.rollback} rolled back`}
      definition={analytics.definitions.buildAttempts}
      empty={none ? 'No build attempts in this window.' : undefined}
    >
      <BarChart data={rows}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="label" />
        <YAxis allowDecimals={false} />
        <Tooltip />
        <Legend />
        <Bar dataKey="success" name="Success" stackId="a" fill={status.ok} />
        <Bar dataKey="failed" name="Failed" stackId="a" fill={status.error} />
        <Bar
          dataKey="rollback"
          name="Rollback"
          stackId="a"
          fill={status.warning}
        />
      </BarChart>
    </ChartCard>
  );
};
