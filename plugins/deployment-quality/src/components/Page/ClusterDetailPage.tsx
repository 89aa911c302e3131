import { InfoCard, Link, Table, TableColumn } from '@backstage/core-components';
import { useApi, useRouteRefParams } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { Box, Grid, Typography } from '@material-ui/core';
import {
  ClusterSummaryResponse,
  ServiceOnCluster,
} from '@internal/plugin-deployment-quality-common';
import { useCallback } from 'react';
import { useNavigate } from 'react-router-dom';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { clusterRouteRef } from '../../routes';
import { AttemptQuery, AttemptsTable } from '../AttemptsTable/AttemptsTable';
import { AsyncView } from '../shared/AsyncView';
import { AttemptStatusLabel } from '../shared/AttemptStatusLabel';
import { GatesSummary } from '../shared/GatesSummary';
import { RelativeTime } from '../shared/RelativeTime';
import { StatTiles } from '../shared/StatTiles';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { usePageLinks } from './links';

const useServiceColumns = (): TableColumn<ServiceOnCluster>[] => {
  const links = usePageLinks();
  return [
    {
      title: 'Service',
      field: 'serviceName',
      render: s =>
        s.entityRef ? (
          <EntityRefLink entityRef={s.entityRef} />
        ) : (
          <span title="No catalog entity is linked to this service">
            {s.serviceName}
          </span>
        ),
    },
    {
      title: 'Current version',
      field: 'currentVersion',
      render: s => s.currentVersion ?? '—',
    },
    {
      title: 'Latest attempt',
      field: 'latestAttempt.startedAt',
      render: s => (
        <>
          <AttemptStatusLabel status={s.latestAttempt.status} />{' '}
          <Link
            to={links.build(s.latestAttempt.id)}
            aria-label={`Build ${s.latestAttempt.buildVersion} of ${s.serviceName}`}
          >
            {s.latestAttempt.buildVersion}
          </Link>{' '}
          <Typography variant="caption">
            <RelativeTime iso={s.latestAttempt.startedAt} />
          </Typography>
        </>
      ),
    },
    {
      title: 'Gates',
      sorting: false,
      render: s => <GatesSummary gates={s.gates} />,
    },
  ];
};

const PAGE_SIZE = 25;

/** Failed and rolled back first, then in progress, then the rest; by name within. */
const ATTENTION_ORDER = new Map<string, number>([
  ['FAILED', 0],
  ['ROLLBACK', 0],
  ['IN_PROGRESS', 1],
]);

function byAttention(services: ServiceOnCluster[]): ServiceOnCluster[] {
  const rank = (s: ServiceOnCluster) =>
    ATTENTION_ORDER.get(s.latestAttempt.status) ?? 2;
  return [...services].sort(
    (a, b) => rank(a) - rank(b) || a.serviceName.localeCompare(b.serviceName),
  );
}

const ClusterHeading = ({
  cluster,
}: {
  cluster: ClusterSummaryResponse['cluster'];
}) => (
  <Box>
    <Typography variant="h4" component="h2">
      {cluster.name}
    </Typography>
    <Typography color="textSecondary">
      {[cluster.id, cluster.region, cluster.type, cluster.role]
        .filter(Boolean)
        .join(' · ')}
    </Typography>
    {cluster.description && <Typography>{cluster.description}</Typography>}
  </Box>
);

/** One cluster-region: totals, each service on it, and its attempts. */
export const ClusterDetailPage = () => {
  const { clusterId } = useRouteRefParams(clusterRouteRef);
  const api = useApi(deploymentQualityApiRef);
  const links = usePageLinks();
  const navigate = useNavigate();
  const serviceColumns = useServiceColumns();

  const state = useAutoRefresh(
    () => api.getClusterSummary(clusterId),
    [api, clusterId],
  );
  const loadAttempts = useCallback(
    (query: AttemptQuery) => api.getClusterAttempts(clusterId, query),
    [api, clusterId],
  );

  return (
    <AsyncView state={state}>
      {({ cluster, summary, services }) => (
        <Grid container spacing={3}>
          <Grid item xs={12}>
            <ClusterHeading cluster={cluster} />
          </Grid>
          <Grid item xs={12}>
            <StatTiles
              label="Attempt totals"
              stats={[
                { label: 'Attempts', value: summary.totalAttempts },
                { label: 'Success', value: summary.success },
                { label: 'Failed', value: summary.failed },
                { label: 'Rollback', value: summary.rollback },
                { label: 'In progress', value: summary.inProgress },
              ]}
            />
          </Grid>
          <Grid item xs={12}>
            <InfoCard title="Services" noPadding>
              <Table<ServiceOnCluster>
                columns={serviceColumns}
                data={byAttention(services)}
                options={{
                  // A cluster-region of a fleet holds thousands: pages
                  // and a search, what needs attention first.
                  paging: services.length > PAGE_SIZE,
                  pageSize: PAGE_SIZE,
                  pageSizeOptions: [PAGE_SIZE, 100, 500],
                  search: services.length > PAGE_SIZE,
                  toolbar: services.length > PAGE_SIZE,
                  padding: 'dense',
                }}
                emptyContent={
                  <Box p={2}>
                    <Typography>
                      No service has been deployed to this cluster-region yet.
                    </Typography>
                  </Box>
                }
              />
            </InfoCard>
          </Grid>
          <Grid item xs={12}>
            <AttemptsTable
              load={loadAttempts}
              serviceOptions={services.map(s => ({
                value: s.serviceId,
                label: s.serviceName,
              }))}
              onSelectAttempt={a => navigate(links.build(a.id))}
            />
          </Grid>
        </Grid>
      )}
    </AsyncView>
  );
};
