import { InfoCard, TableColumn } from '@backstage/core-components';
import { ResponsiveTable } from '../shared/ResponsiveTable';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { Grid, Typography } from '@material-ui/core';
import { useState } from 'react';
import {
  ANALYTICS_DEFINITIONS,
  DoraBenchmarkYear,
  EntityRollupResponse,
  FAILURE_STATUSES,
} from '@deployment-quality/plugin-deployment-quality-common';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { DoraFigures } from '../charts/DoraFigures';
import { AsyncView } from '../shared/AsyncView';
import { AttemptStatusLabel } from '../shared/AttemptStatusLabel';
import { GatesSummary } from '../shared/GatesSummary';
import { RelativeTime } from '../shared/RelativeTime';
import { StatTiles } from '../shared/StatTiles';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { useEntityRef } from '../shared/useEntityRef';

type Service = EntityRollupResponse['services'][number];
type Row = Service['clusters'][number] & {
  serviceId: string;
  serviceName: string;
  entityRef: string;
  attention: boolean;
};

/** One row per (service, cluster-region), what needs attention first. */
function rowsOf(rollup: EntityRollupResponse): Row[] {
  return rollup.services
    .flatMap(s =>
      s.clusters.map(c => ({
        ...c,
        serviceId: s.serviceId,
        serviceName: s.serviceName,
        entityRef: s.entityRef,
        attention: FAILURE_STATUSES.includes(c.latestAttempt.status),
      })),
    )
    .sort(
      (a, b) =>
        Number(b.attention) - Number(a.attention) ||
        a.serviceName.localeCompare(b.serviceName) ||
        a.clusterId.localeCompare(b.clusterId),
    );
}

const columns: TableColumn<Row>[] = [
  {
    title: 'Service',
    field: 'serviceName',
    render: r => (
      <EntityRefLink entityRef={r.entityRef} title={r.serviceName} />
    ),
  },
  { title: 'Cluster-region', field: 'clusterId' },
  {
    title: 'Current version',
    field: 'currentVersion',
    render: r => r.currentVersion ?? '—',
  },
  {
    title: 'Latest attempt',
    field: 'latestAttempt.startedAt',
    render: r => (
      <>
        <AttemptStatusLabel status={r.latestAttempt.status} />{' '}
        {r.latestAttempt.buildVersion}{' '}
        <Typography variant="caption">
          <RelativeTime iso={r.latestAttempt.startedAt} />
        </Typography>
      </>
    ),
  },
  {
    title: 'Gates',
    sorting: false,
    render: r => <GatesSummary gates={r.gates} />,
  },
];

const scoreColumns: TableColumn<EntityRollupResponse['scorecard'][number]>[] = [
  {
    title: 'Service',
    field: 'serviceId',
    render: r =>
      r.entityRef ? <EntityRefLink entityRef={r.entityRef} /> : r.serviceId,
  },
  { title: 'Score', field: 'score', render: r => r.score ?? '—' },
  { title: 'Grade', field: 'grade', render: r => r.grade ?? '—' },
];

/**
 * A Group's, System's or Domain's Deployments tab: its services on every
 * cluster-region (failures first, searchable and paged), the DORA figures
 * over them and their scorecard rows. Each service links to its own page.
 */
export const EntityRollupContent = () => {
  const entityRef = useEntityRef();
  const api = useApi(deploymentQualityApiRef);
  const [benchmark, setBenchmark] = useState<DoraBenchmarkYear>();
  const state = useAutoRefresh(
    () => api.getEntityRollup(entityRef, { benchmark }),
    [api, entityRef, benchmark],
  );
  return (
    <AsyncView
      state={state}
      isEmpty={r => r.services.length === 0}
      empty={
        <Typography color="textSecondary">
          None of the Components here that you may read has reported a
          deployment yet.
        </Typography>
      }
    >
      {rollup => {
        const rows = rowsOf(rollup);
        return (
          <Grid container spacing={3}>
            <Grid item xs={12}>
              <StatTiles
                label="Roll-up totals"
                stats={[
                  { label: 'Services', value: rollup.services.length },
                  {
                    label: 'Needing attention',
                    value: rows.filter(r => r.attention).length,
                  },
                  {
                    label: 'Cluster-regions',
                    value: new Set(rows.map(r => r.clusterId)).size,
                  },
                ]}
              />
              {rollup.truncated && (
                <Typography color="textSecondary" variant="caption">
                  Showing the first {rollup.services.length} services by id.
                </Typography>
              )}
            </Grid>
            <Grid item xs={12}>
              <ResponsiveTable<Row>
                title="Services per cluster-region"
                options={{
                  paging: rows.length > 20,
                  pageSize: 20,
                  search: true,
                  padding: 'dense',
                }}
                columns={columns}
                data={rows}
              />
            </Grid>
            <Grid item xs={12}>
              <DoraFigures
                analytics={{
                  dora: rollup.dora,
                  definitions: ANALYTICS_DEFINITIONS,
                }}
                onBenchmarkChange={setBenchmark}
              />
            </Grid>
            <Grid item xs={12}>
              <InfoCard title="Scorecard">
                <ResponsiveTable
                  options={{
                    paging: rollup.scorecard.length > 20,
                    pageSize: 20,
                    search: false,
                    toolbar: false,
                  }}
                  columns={scoreColumns}
                  data={rollup.scorecard}
                />
              </InfoCard>
            </Grid>
          </Grid>
        );
      }}
    </AsyncView>
  );
};
