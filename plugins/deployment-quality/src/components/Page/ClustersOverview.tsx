import {
  EmptyState,
  Link,
  StatusError,
  StatusOK,
  TableColumn,
} from '@backstage/core-components';
import { ResponsiveTable } from '../shared/ResponsiveTable';
import { useApi } from '@backstage/core-plugin-api';
import { Grid, Typography } from '@material-ui/core';
import { ClustersResponse } from '@deployment-quality/plugin-deployment-quality-common';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AsyncView } from '../shared/AsyncView';
import { RelativeTime } from '../shared/RelativeTime';
import { AsyncState, useAutoRefresh } from '../shared/useAutoRefresh';
import { usePageLinks } from './links';
import { RecentProblems } from './RecentProblems';
import { StatusPanel } from './StatusPanel';

type Row = ClustersResponse['clusters'][number];

const useColumns = (): TableColumn<Row>[] => {
  const links = usePageLinks();
  return [
    {
      title: 'Cluster-region',
      field: 'name',
      render: c => (
        <>
          <Link to={links.cluster(c.id)}>{c.name}</Link>
          <Typography variant="caption" display="block" color="textSecondary">
            {[c.id, c.region, c.type, c.role].filter(Boolean).join(' · ')}
          </Typography>
        </>
      ),
    },
    { title: 'Services', field: 'summary.services', type: 'numeric' },
    {
      title: 'Healthy',
      field: 'summary.healthy',
      type: 'numeric',
      render: c => <StatusOK>{c.summary.healthy}</StatusOK>,
    },
    {
      title: 'Needing attention',
      field: 'summary.attention',
      type: 'numeric',
      defaultSort: 'desc',
      render: c =>
        c.summary.attention > 0 ? (
          <StatusError>{c.summary.attention}</StatusError>
        ) : (
          '0'
        ),
    },
    {
      title: 'Validations',
      field: 'validations.failing',
      type: 'numeric',
      render: c => {
        const { suites, failing } = c.validations;
        if (suites === 0) return '—';
        return failing > 0 ? (
          <StatusError>
            {failing} of {suites} failing
          </StatusError>
        ) : (
          <StatusOK>{suites} passing</StatusOK>
        );
      },
    },
    {
      title: 'Latest attempt',
      field: 'summary.latestAttemptAt',
      render: c => <RelativeTime iso={c.summary.latestAttemptAt} />,
    },
  ];
};

const Clusters = ({
  state,
  columns,
}: {
  state: AsyncState<ClustersResponse>;
  columns: TableColumn<Row>[];
}) => (
  <AsyncView
    state={state}
    isEmpty={v => v.clusters.length === 0}
    empty={
      <EmptyState
        missing="data"
        title="No cluster-regions yet"
        description="Declare them under deploymentQuality.clusters in app-config.yaml, or report a deployment or cluster-config event."
      />
    }
  >
    {({ clusters }) => (
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <ResponsiveTable<Row>
            title="Cluster-regions"
            columns={columns}
            data={clusters}
            isLoading={state.loading}
            options={{ paging: false, search: false, padding: 'dense' }}
          />
        </Grid>
        <Grid item xs={12}>
          <RecentProblems />
        </Grid>
      </Grid>
    )}
  </AsyncView>
);

/** Every cluster-region's health, then what failed across them today. */
export const ClustersOverview = () => {
  const api = useApi(deploymentQualityApiRef);
  const columns = useColumns();
  const state = useAutoRefresh(read => api.getClusters(read), [api], {
    live: () => true,
  });
  // The backend's status loads on its own: it says why when the clusters
  // can't be loaded or are stale.
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <StatusPanel />
      </Grid>
      <Grid item xs={12}>
        <Clusters state={state} columns={columns} />
      </Grid>
    </Grid>
  );
};
