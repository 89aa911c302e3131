import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { Button, Typography } from '@material-ui/core';
import {
  EntitySummaryResponse,
  SERVICE_ID_ANNOTATION,
} from '@internal/plugin-deployment-quality-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AttemptStatusLabel } from '../shared/AttemptStatusLabel';
import { GatesSummary } from '../shared/GatesSummary';
import { localTime, relativeTime } from '../shared/time';

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
          <span title={localTime(row.latestAttempt.startedAt)}>
            {relativeTime(row.latestAttempt.startedAt)}
          </span>
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
export const ClusterMatrix = ({
  entityRef,
}: {
  entityRef: CompoundEntityRef;
}) => {
  const api = useApi(deploymentQualityApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getEntitySummary(entityRef),
    [api, entityRef.kind, entityRef.namespace, entityRef.name],
  );

  if (loading && !value) return <Progress />;
  if (error) {
    return (
      <>
        <ResponseErrorPanel error={error} />
        <Button variant="outlined" onClick={retry}>
          Retry
        </Button>
      </>
    );
  }
  if (!value || value.clusters.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="No deployments reported yet"
        description={`Deployments appear here once a CI/CD system reports them for service id "${
          value?.serviceId ?? entityRef.name
        }". Set the ${SERVICE_ID_ANNOTATION} annotation if this component reports under another id.`}
      />
    );
  }
  return (
    <InfoCard title="Cluster-regions" noPadding>
      <Table<Row>
        columns={columns}
        data={value.clusters}
        options={{
          paging: false,
          search: false,
          toolbar: false,
          padding: 'dense',
        }}
      />
    </InfoCard>
  );
};
