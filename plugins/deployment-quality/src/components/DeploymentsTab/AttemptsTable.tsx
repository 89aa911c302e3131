import {
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  Box,
  Button,
  FormControl,
  InputLabel,
  MenuItem,
  Select,
  Typography,
} from '@material-ui/core';
import {
  ATTEMPT_STATUSES,
  AttemptStatus,
  AttemptWithGates,
} from '@internal/plugin-deployment-quality-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AttemptStatusLabel } from '../shared/AttemptStatusLabel';
import { GatesSummary } from '../shared/GatesSummary';
import { duration, localTime, relativeTime } from '../shared/time';

const PAGE_SIZE = 20;

const columns: TableColumn<AttemptWithGates>[] = [
  {
    title: 'Started',
    field: 'startedAt',
    render: a => (
      <span title={localTime(a.startedAt)}>{relativeTime(a.startedAt)}</span>
    ),
  },
  { title: 'Cluster-region', field: 'clusterId' },
  {
    title: 'Build',
    field: 'buildVersion',
    render: a => (
      <>
        <Typography variant="body2">{a.buildVersion}</Typography>
        <Typography variant="caption" color="textSecondary">
          {a.gitSha.slice(0, 7)}
        </Typography>
      </>
    ),
  },
  {
    title: 'Status',
    field: 'status',
    render: a => (
      <>
        <AttemptStatusLabel status={a.status} />
        {a.failureReason && (
          <Typography variant="caption" display="block" color="textSecondary">
            {a.failureReason}
          </Typography>
        )}
        {a.rollbackToBuild && (
          <Typography variant="caption" display="block" color="textSecondary">
            rolled back to {a.rollbackToBuild}
          </Typography>
        )}
      </>
    ),
  },
  { title: 'Duration', render: a => duration(a.startedAt, a.endedAt) },
  { title: 'Trigger', field: 'trigger' },
  { title: 'Gates', render: a => <GatesSummary gates={a.gates} /> },
];

/** The entity's attempts, newest first, with cluster and status filters. */
export const AttemptsTable = ({
  entityRef,
  clusterIds,
}: {
  entityRef: CompoundEntityRef;
  clusterIds: string[];
}) => {
  const api = useApi(deploymentQualityApiRef);
  const [clusterId, setClusterId] = useState('');
  const [status, setStatus] = useState<AttemptStatus | ''>('');
  // Cursors of the pages before the current one; the last is the current page's.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];

  const { value, loading, error, retry } = useAsyncRetry(
    () =>
      api.getEntityAttempts(entityRef, {
        clusterId: clusterId || undefined,
        status: status || undefined,
        limit: PAGE_SIZE,
        cursor,
      }),
    [
      api,
      entityRef.kind,
      entityRef.namespace,
      entityRef.name,
      clusterId,
      status,
      cursor,
    ],
  );

  const resetPaging = () => setCursors([undefined]);

  return (
    <Box>
      <Box display="flex" style={{ gap: 16 }} mb={2}>
        <FormControl variant="outlined" size="small" style={{ minWidth: 200 }}>
          <InputLabel id="dq-cluster-filter" shrink>
            Cluster-region
          </InputLabel>
          <Select
            labelId="dq-cluster-filter"
            label="Cluster-region"
            displayEmpty
            value={clusterId}
            onChange={e => {
              setClusterId(e.target.value as string);
              resetPaging();
            }}
          >
            <MenuItem value="">All</MenuItem>
            {clusterIds.map(id => (
              <MenuItem key={id} value={id}>
                {id}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
        <FormControl variant="outlined" size="small" style={{ minWidth: 160 }}>
          <InputLabel id="dq-status-filter" shrink>
            Status
          </InputLabel>
          <Select
            labelId="dq-status-filter"
            label="Status"
            displayEmpty
            value={status}
            onChange={e => {
              setStatus(e.target.value as AttemptStatus | '');
              resetPaging();
            }}
          >
            <MenuItem value="">All</MenuItem>
            {ATTEMPT_STATUSES.map(s => (
              <MenuItem key={s} value={s}>
                {s}
              </MenuItem>
            ))}
          </Select>
        </FormControl>
      </Box>
      {error && (
        <>
          <ResponseErrorPanel error={error} />
          <Button variant="outlined" onClick={retry}>
            Retry
          </Button>
        </>
      )}
      {!error && loading && !value && <Progress />}
      {!error && value && (
        <Table<AttemptWithGates>
          title="Deployment attempts"
          columns={columns}
          data={value.attempts}
          isLoading={loading}
          options={{ paging: false, search: false, padding: 'dense' }}
          emptyContent={
            <Box p={2}>
              <Typography>No attempts match these filters.</Typography>
            </Box>
          }
        />
      )}
      <Box display="flex" justifyContent="flex-end" style={{ gap: 8 }} mt={1}>
        <Button
          disabled={cursors.length <= 1 || loading}
          onClick={() => setCursors(c => c.slice(0, -1))}
        >
          Newer
        </Button>
        <Button
          disabled={!value?.nextCursor || loading}
          onClick={() => setCursors(c => [...c, value?.nextCursor])}
        >
          Older
        </Button>
      </Box>
    </Box>
  );
};
