import { Link, TableColumn } from '@backstage/core-components';
import { ResponsiveTable } from '../shared/ResponsiveTable';
import { useApi } from '@backstage/core-plugin-api';
import { Box, Typography } from '@material-ui/core';
import {
  AttemptStatus,
  AttemptWithGates,
} from '@deployment-quality/plugin-deployment-quality-common';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AsyncView } from '../shared/AsyncView';
import { AttemptStatusLabel } from '../shared/AttemptStatusLabel';
import { RelativeTime } from '../shared/RelativeTime';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { usePageLinks } from './links';

/** "Recent" is the last 24 hours. */
const RECENT_MS = 24 * 60 * 60 * 1000;

const PROBLEMS: AttemptStatus[] = ['FAILED', 'ROLLBACK'];
// Per status, across the fleet: a day with more shows the newest ones, and
// each cluster's page has the rest.
const PER_LIST = 50;

const useColumns = (): TableColumn<AttemptWithGates>[] => {
  const links = usePageLinks();
  return [
    {
      title: 'Started',
      field: 'startedAt',
      render: a => <RelativeTime iso={a.startedAt} />,
    },
    {
      title: 'Cluster-region',
      field: 'clusterId',
      render: a => <Link to={links.cluster(a.clusterId)}>{a.clusterId}</Link>,
    },
    { title: 'Service', field: 'serviceId' },
    {
      title: 'Build',
      field: 'buildVersion',
      render: a => (
        <Link
          to={links.build(a.id)}
          aria-label={`Build ${a.buildVersion} of ${a.serviceId} on ${a.clusterId}`}
        >
          {a.buildVersion}
        </Link>
      ),
    },
    {
      title: 'Status',
      field: 'status',
      render: a => (
        <>
          <AttemptStatusLabel status={a.status} />
          <Typography variant="caption" display="block" color="textSecondary">
            {a.failureReason ??
              (a.rollbackToBuild ? `rolled back to ${a.rollbackToBuild}` : '')}
          </Typography>
        </>
      ),
    },
  ];
};

/**
 * Failures and rollbacks of the last 24 h across every cluster, newest
 * first: one fleet-wide request per status, whatever the number of clusters.
 */
export const RecentProblems = () => {
  const api = useApi(deploymentQualityApiRef);
  const columns = useColumns();
  const state = useAutoRefresh(
    async read => {
      const since = Date.now() - RECENT_MS;
      const pages = await Promise.all(
        PROBLEMS.map(status =>
          api.getAttempts({ status, limit: PER_LIST }, read),
        ),
      );
      return pages
        .flatMap(p => p.attempts)
        .filter(a => Date.parse(a.startedAt) >= since)
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    },
    [api],
    { live: () => true },
  );
  return (
    <AsyncView state={state}>
      {attempts => (
        <ResponsiveTable<AttemptWithGates>
          title="Failures and rollbacks in the last 24 hours"
          columns={columns}
          data={attempts}
          isLoading={state.loading}
          options={{ paging: false, search: false, padding: 'dense' }}
          emptyContent={
            <Box p={2}>
              <Typography>
                No failures or rollbacks in the last 24 hours.
              </Typography>
            </Box>
          }
        />
      )}
    </AsyncView>
  );
};
