import { Grid } from '@material-ui/core';
import {
  AnalyticsResponse,
  DoraBenchmarkYear,
} from '@deployment-quality/plugin-deployment-quality-common';
import { DeployFrequencyChart } from './DeployFrequencyChart';
import { DoraFigures } from './DoraFigures';
import { OutcomesChart } from './OutcomesChart';
import { PassRateChart } from './PassRateChart';

/**
 * Everything one analytics answer shows: DORA figures and three charts, and
 * the cluster-regions' own validations when the answer has any.
 */
export const AnalyticsCharts = ({
  analytics,
  onBenchmarkChange,
}: {
  analytics: AnalyticsResponse;
  onBenchmarkChange?: (year: DoraBenchmarkYear) => void;
}) => {
  const { labels, ...testSuites } = analytics.testPassRates;
  const validations = analytics.clusterValidationPassRates;
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <DoraFigures
          analytics={analytics}
          onBenchmarkChange={onBenchmarkChange}
        />
      </Grid>
      <Grid item xs={12} lg={6}>
        <OutcomesChart analytics={analytics} />
      </Grid>
      <Grid item xs={12} lg={6}>
        <PassRateChart
          title="Test pass rate per suite"
          labels={labels}
          bySuite={testSuites}
          definition={analytics.definitions.testPassRates}
          empty="No test runs in this window."
        />
      </Grid>
      <Grid item xs={12}>
        <DeployFrequencyChart analytics={analytics} />
      </Grid>
      {Object.keys(validations.suites).length > 0 && (
        <Grid item xs={12}>
          <PassRateChart
            title="Cluster validation pass rate per suite"
            labels={validations.labels}
            bySuite={validations.suites}
            definition={analytics.definitions.clusterValidationPassRates}
            empty="No cluster validation ran in this window."
          />
        </Grid>
      )}
    </Grid>
  );
};

/** True when the window holds no attempt and no test run: nothing to chart. */
export function isEmptyAnalytics(analytics: AnalyticsResponse): boolean {
  const { buildAttempts, testPassRates } = analytics;
  const attempts = [
    ...buildAttempts.success,
    ...buildAttempts.failed,
    ...buildAttempts.rollback,
  ].some(n => n > 0);
  const { labels: _labels, ...suites } = testPassRates;
  const tests = Object.values(suites).some(rates =>
    rates.some(r => typeof r === 'number'),
  );
  return !attempts && !tests;
}
