import {
  InfoCard,
  Link,
  StructuredMetadataTable,
  TableColumn,
} from '@backstage/core-components';
import { ResponsiveTable } from '../shared/ResponsiveTable';
import { Box, Grid, Typography } from '@material-ui/core';
import {
  BuildDetailResponse,
  Promotion,
  TestRun,
} from '@deployment-quality/plugin-deployment-quality-common';
import { AttemptStatusLabel } from '../shared/AttemptStatusLabel';
import { FailedTests } from '../TestHistory/FailedTests';
import { formatPercent } from '../shared/format';
import { RelativeTime } from '../shared/RelativeTime';
import { duration, formatSeconds } from '../shared/time';

const passRate = (r: TestRun) =>
  r.total > 0 ? (r.passed / r.total) * 100 : null;

const testRunColumns: TableColumn<TestRun>[] = [
  { title: 'Suite', field: 'suiteType' },
  {
    title: 'Passed',
    field: 'passed',
    render: r => `${r.passed} / ${r.total}`,
  },
  {
    title: 'Pass rate',
    customSort: (a, b) => (passRate(a) ?? -1) - (passRate(b) ?? -1),
    render: r => formatPercent(passRate(r)),
  },
  { title: 'Failed', field: 'failed' },
  { title: 'Skipped', field: 'skipped' },
  {
    title: 'Duration',
    field: 'durationSec',
    render: r => formatSeconds(r.durationSec),
  },
  {
    title: 'Executed',
    field: 'executedAt',
    render: r => <RelativeTime iso={r.executedAt} />,
  },
  {
    title: 'Report',
    sorting: false,
    render: r =>
      r.reportUrl ? (
        <Link to={r.reportUrl} aria-label={`${r.suiteType} test report`}>
          Report
        </Link>
      ) : (
        '—'
      ),
  },
];

/** Where a build went after this attempt: from → to, by whom, when. */
export const PromotionList = ({ promotions }: { promotions: Promotion[] }) => (
  <Box component="ol" aria-label="Promotions" p={0} m={0}>
    {promotions.map(p => (
      <Box
        component="li"
        key={p.promotionId}
        mb={1}
        style={{ listStyle: 'none' }}
      >
        <Typography variant="body2">
          <strong>{p.buildVersion}</strong> from {p.fromClusterId} to{' '}
          {p.toClusterId}
        </Typography>
        <Typography variant="caption" color="textSecondary">
          by {p.promotedBy} · <RelativeTime iso={p.promotedAt} />
        </Typography>
      </Box>
    ))}
  </Box>
);

/** One build attempt: what ran, how it ended, its tests and promotions. */
export const BuildDetail = ({ build }: { build: BuildDetailResponse }) => {
  const { attempt, testRuns, promotions, failedTests, entityRef } = build;
  return (
    <Grid container spacing={3}>
      <Grid item xs={12} md={6}>
        <InfoCard title={`Build ${attempt.buildVersion}`}>
          <StructuredMetadataTable
            metadata={{
              status: <AttemptStatusLabel status={attempt.status} />,
              service: attempt.serviceId,
              'cluster-region': attempt.clusterId,
              'git sha': attempt.gitSha,
              trigger: attempt.trigger,
              started: <RelativeTime iso={attempt.startedAt} />,
              duration: duration(attempt.startedAt, attempt.endedAt),
              ...(attempt.failureReason
                ? { 'failure reason': attempt.failureReason }
                : {}),
              ...(attempt.rollbackToBuild
                ? { 'rolled back to': attempt.rollbackToBuild }
                : {}),
              source: attempt.source,
            }}
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard title="Promotions of this build">
          {promotions.length === 0 ? (
            <Typography>This build has not been promoted.</Typography>
          ) : (
            <PromotionList promotions={promotions} />
          )}
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <ResponsiveTable<TestRun>
          title="Test runs"
          columns={testRunColumns}
          data={testRuns}
          options={{ paging: false, search: false, padding: 'dense' }}
          emptyContent={
            <Box p={2}>
              <Typography>
                No test results were reported for this attempt.
              </Typography>
            </Box>
          }
        />
      </Grid>
      {failedTests.length > 0 && (
        <Grid item xs={12}>
          <FailedTests tests={failedTests} entityRef={entityRef} />
        </Grid>
      )}
    </Grid>
  );
};
