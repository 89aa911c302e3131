import { InfoCard, Link, TableColumn } from '@backstage/core-components';
import { ResponsiveTable } from '../shared/ResponsiveTable';
import { useApi, useRouteRefParams } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  Box,
  Grid,
  TablePagination,
  TextField,
  Typography,
} from '@material-ui/core';
import {
  ClusterSummaryResponse,
  ServiceOnCluster,
} from '@deployment-quality/plugin-deployment-quality-common';
import { useCallback, useState } from 'react';
import useDebounce from 'react-use/esm/useDebounce';
import { useNavigate } from 'react-router-dom';
import {
  deploymentQualityApiRef,
  ReadOptions,
} from '../../api/DeploymentQualityApi';
import { clusterRouteRef } from '../../routes';
import { AttemptQuery, AttemptsTable } from '../AttemptsTable/AttemptsTable';
import { AsyncView } from '../shared/AsyncView';
import { AttemptStatusLabel } from '../shared/AttemptStatusLabel';
import { GatesSummary } from '../shared/GatesSummary';
import { RelativeTime } from '../shared/RelativeTime';
import { StatTiles } from '../shared/StatTiles';
import { onCluster, useAutoRefresh } from '../shared/useAutoRefresh';
import { usePageLinks } from './links';
import { ClusterValidations } from './ClusterValidations';
import { ClusterCost } from './ClusterCost';

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

/**
 * Services per page. A cluster-region of a fleet holds thousands: the
 * backend sends one page, what needs attention first, and searches.
 */
const PAGE_SIZE = 25;

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

  const [page, setPage] = useState(0);
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  // Typing asks once it pauses, from the first page.
  useDebounce(
    () => {
      setQ(search.trim());
      setPage(0);
    },
    300,
    [search],
  );
  const state = useAutoRefresh(
    read =>
      api.getClusterSummary(
        clusterId,
        { limit: PAGE_SIZE, offset: page * PAGE_SIZE, ...(q ? { q } : {}) },
        read,
      ),
    [api, clusterId, page, q],
    { live: onCluster(clusterId) },
  );
  const loadAttempts = useCallback(
    (query: AttemptQuery, read?: ReadOptions) =>
      api.getClusterAttempts(clusterId, query, read),
    [api, clusterId],
  );

  return (
    <AsyncView state={state}>
      {({ cluster, summary, services, servicesPage }) => (
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
              {(servicesPage.total > PAGE_SIZE || q) && (
                <Box px={2} pt={1}>
                  <TextField
                    size="small"
                    variant="outlined"
                    label="Search services"
                    value={search}
                    onChange={e => setSearch(e.target.value)}
                    inputProps={{ 'aria-label': 'Search services' }}
                  />
                </Box>
              )}
              <ResponsiveTable<ServiceOnCluster>
                columns={serviceColumns}
                data={services}
                options={{
                  paging: false,
                  search: false,
                  toolbar: false,
                  sorting: false,
                  padding: 'dense',
                }}
                emptyContent={
                  <Box p={2}>
                    <Typography>
                      {q
                        ? `No service matches “${q}”.`
                        : 'No service has been deployed to this cluster-region yet.'}
                    </Typography>
                  </Box>
                }
              />
              {servicesPage.total > PAGE_SIZE && (
                <TablePagination
                  component="div"
                  count={servicesPage.total}
                  page={page}
                  rowsPerPage={PAGE_SIZE}
                  rowsPerPageOptions={[]}
                  labelDisplayedRows={({ from, to, count }) =>
                    `${from}–${to} of ${count}`
                  }
                  onPageChange={(_, next) => setPage(next)}
                />
              )}
            </InfoCard>
          </Grid>
          <Grid item xs={12}>
            <ClusterValidations clusterId={clusterId} />
          </Grid>
          <Grid item xs={12}>
            <ClusterCost clusterId={clusterId} />
          </Grid>
          <Grid item xs={12}>
            <AttemptsTable
              load={loadAttempts}
              serviceFilter={{ clusterId }}
              live={onCluster(clusterId)}
              onSelectAttempt={a => navigate(links.build(a.id))}
            />
          </Grid>
        </Grid>
      )}
    </AsyncView>
  );
};
