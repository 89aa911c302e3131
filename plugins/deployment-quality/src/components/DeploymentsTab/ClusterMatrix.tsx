import { InfoCard, TableColumn } from '@backstage/core-components';
import { ResponsiveTable } from '../shared/ResponsiveTable';
import { Typography } from '@material-ui/core';
import { EntitySummaryResponse } from '@deployment-quality/plugin-deployment-quality-common';
import { AttemptStatusLabel } from '../shared/AttemptStatusLabel';
import { GatesSummary } from '../shared/GatesSummary';
import { RelativeTime } from '../shared/RelativeTime';

type Row = EntitySummaryResponse['clusters'][number];

const columns: TableColumn<Row>[] = [
  {
    title: 'Cluster-region',
    field: 'cluster.name',
    render: row => (
      <>
        <Typography variant="body2">{row.cluster.name}</Typography>
        <Typography variant="caption" color="textSecondary">
          {row.cluster.id}
          {row.cluster.configured ? '' : ' · unconfigured'}
        </Typography>
      </>
    ),
  },
  {
    title: 'Current version',
    field: 'currentVersion',
    render: row => row.currentVersion ?? '—',
  },
  {
    title: 'Latest attempt',
    field: 'latestAttempt.startedAt',
    render: row => (
      <>
        <AttemptStatusLabel status={row.latestAttempt.status} />{' '}
        <Typography variant="caption">
          {row.latestAttempt.buildVersion} ·{' '}
          <RelativeTime iso={row.latestAttempt.startedAt} />
        </Typography>
      </>
    ),
  },
  {
    title: 'Gates',
    sorting: false,
    render: row => <GatesSummary gates={row.gates} />,
  },
];

/** Cluster-region × current version × latest status × gates for one entity. */
export const ClusterMatrix = ({ clusters }: { clusters: Row[] }) => (
  <InfoCard title="Cluster-regions" noPadding>
    <ResponsiveTable<Row>
      columns={columns}
      data={clusters}
      options={{
        paging: false,
        search: false,
        toolbar: false,
        padding: 'dense',
      }}
    />
  </InfoCard>
);
