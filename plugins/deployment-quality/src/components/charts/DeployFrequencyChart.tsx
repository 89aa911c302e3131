import { useTheme } from '@material-ui/core';
import { AnalyticsResponse } from '@deployment-quality/plugin-deployment-quality-common';
import {
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatMinutes } from '../shared/format';
import { ChartCard } from './ChartCard';

/** Deploys per day (bars) and their mean lead time (line, right axis). */
export const DeployFrequencyChart = ({
  analytics,
}: {
  analytics: AnalyticsResponse;
}) => {
  const theme = useTheme();
  const { labels, deploys, avgLeadTimeMin } = analytics.deployFrequency;
  const rows = labels.map((label, i) => ({
    label,
    deploys: deploys[i],
    leadTime: avgLeadTimeMin[i],
  }));
  const total = deploys.reduce((a, b) => a + b, 0);
  return (
    <ChartCard
      title="Deploy frequency and lead time"
      summary={`${total} deploys, lead time p50 ${formatMinutes(
        analytics.dora.leadTimeMin.p50,
      )}`}
      definition={`${analytics.definitions.deploys} Lead time: ${analytics.definitions.leadTime}`}
      empty={total === 0 ? 'No deploys in this window.' : undefined}
    >
      <ComposedChart data={rows}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="label" />
        <YAxis yAxisId="deploys" allowDecimals={false} />
        <YAxis yAxisId="lead" orientation="right" unit=" min" />
        <Tooltip
          formatter={(v, name) =>
            name === 'Mean lead time'
              ? formatMinutes(v as number | null)
              : String(v)
          }
        />
        <Legend />
        <Bar
          yAxisId="deploys"
          dataKey="deploys"
          name="Deploys"
          fill={theme.palette.primary.main}
        />
        <Line
          yAxisId="lead"
          dataKey="leadTime"
          name="Mean lead time"
          stroke={theme.palette.status.warning}
          connectNulls
        />
      </ComposedChart>
    </ChartCard>
  );
};
