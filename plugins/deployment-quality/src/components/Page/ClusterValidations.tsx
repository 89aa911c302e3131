import {
  InfoCard,
  Link,
  StatusError,
  StatusOK,
  TableColumn,
} from '@backstage/core-components';
import { ResponsiveTable } from '../shared/ResponsiveTable';
import { useApi } from '@backstage/core-plugin-api';
import { Box, Chip, Typography, useTheme } from '@material-ui/core';
import { ClusterValidationsResponse } from '@deployment-quality/plugin-deployment-quality-common';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AsyncView } from '../shared/AsyncView';
import { formatPercent } from '../shared/format';
import { RelativeTime } from '../shared/RelativeTime';
import { onCluster, useAutoRefresh } from '../shared/useAutoRefresh';

type Suite = ClusterValidationsResponse['suites'][number];

/** The suite's last runs as a row of cells, oldest first: red failed, green passed. */
const PassRateStrip = ({ suite }: { suite: Suite }) => {
  const { status } = useTheme().palette;
  const failed = suite.recent.filter(r => !r.ok).length;
  return (
    <Box
      display="flex"
      style={{ gap: 2 }}
      role="img"
      aria-label={`${suite.suite}: last ${suite.recent.length} runs, ${
        suite.recent.length - failed
      } passed, ${failed} failed`}
    >
      {suite.recent.map(r => (
        <span
          key={r.executedAt}
          title={`${r.executedAt.slice(0, 16).replace('T', ' ')} UTC — ${
            r.passRate === null ? 'no tests' : formatPercent(r.passRate)
          }`}
          style={{
            width: 8,
            height: 18,
            borderRadius: 2,
            backgroundColor: r.ok ? status.ok : status.error,
          }}
        />
      ))}
    </Box>
  );
};

const columns: TableColumn<Suite>[] = [
  {
    title: 'Suite',
    field: 'suite',
    render: s => (
      <>
        <Typography variant="body2">{s.suite}</Typography>
        <Box display="flex" flexWrap="wrap" style={{ gap: 4 }}>
          {Object.entries(s.latest.labels).map(([k, v]) => (
            <Chip key={k} size="small" variant="outlined" label={`${k}=${v}`} />
          ))}
        </Box>
      </>
    ),
  },
  {
    title: 'Latest run',
    field: 'latest.ok',
    render: s =>
      s.latest.ok ? (
        <StatusOK>
          {s.latest.passed} / {s.latest.total} passed
        </StatusOK>
      ) : (
        <StatusError>
          {s.latest.failed} failed of {s.latest.total}
        </StatusError>
      ),
  },
  {
    title: 'Pass rate',
    field: 'latest.passRate',
    render: s => formatPercent(s.latest.passRate),
  },
  {
    title: 'Ran',
    field: 'latest.executedAt',
    render: s => <RelativeTime iso={s.latest.executedAt} />,
  },
  {
    title: 'Last runs',
    sorting: false,
    render: s => <PassRateStrip suite={s} />,
  },
  {
    title: 'Report',
    sorting: false,
    render: s =>
      s.latest.reportUrl ? <Link to={s.latest.reportUrl}>Report</Link> : '—',
  },
];

/**
 * The cluster-region's own validation suites (a nightly conformance or
 * smoke job), failing ones first, each with its recent runs.
 */
export const ClusterValidations = ({ clusterId }: { clusterId: string }) => {
  const api = useApi(deploymentQualityApiRef);
  const state = useAutoRefresh(
    () => api.getClusterValidations(clusterId),
    [api, clusterId],
    { live: onCluster(clusterId) },
  );
  return (
    <AsyncView
      state={state}
      isEmpty={v => v.suites.length === 0}
      empty={
        <InfoCard title="Cluster validations">
          <Typography color="textSecondary">
            No validation suite has reported on this cluster-region. A nightly
            conformance or smoke job reports with a{' '}
            <code>cluster-test-result</code> event.
          </Typography>
        </InfoCard>
      }
    >
      {({ suites }) => (
        <ResponsiveTable<Suite>
          title="Cluster validations"
          columns={columns}
          data={suites}
          options={{
            paging: false,
            search: false,
            sorting: false,
            padding: 'dense',
          }}
        />
      )}
    </AsyncView>
  );
};
