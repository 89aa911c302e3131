import {
  InfoCard,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Box, Grid, Typography } from '@material-ui/core';
import { StatusResponse } from '@deployment-quality/plugin-deployment-quality-common';
import { ReactNode } from 'react';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AsyncView } from '../shared/AsyncView';
import { RelativeTime } from '../shared/RelativeTime';
import { useAutoRefresh } from '../shared/useAutoRefresh';

const Item = ({ label, children }: { label: string; children: ReactNode }) => (
  <Grid item xs={12} sm={6} md={3} component="li">
    <Typography variant="caption" color="textSecondary" component="div">
      {label}
    </Typography>
    <Box component="div">{children}</Box>
  </Grid>
);

const count = (n: number | undefined) => (n === undefined ? '—' : String(n));

const Database = ({ database }: { database: StatusResponse['database'] }) =>
  database.ok ? (
    <StatusOK>
      reachable
      {database.latencyMs !== undefined ? ` (${database.latencyMs} ms)` : ''}
    </StatusOK>
  ) : (
    <StatusError>
      unreachable{database.error && `: ${database.error}`}
    </StatusError>
  );

/** The rollups' refresh queue: empty within a second of a write. */
const Rollups = ({ rollups }: { rollups: StatusResponse['rollups'] }) => {
  if (!rollups) return null;
  let text: ReactNode;
  if (rollups.error) text = `rollups: ${rollups.error}`;
  else if (!rollups.queuedKeys) text = 'rollups up to date';
  else {
    text = (
      <>
        rollups: {rollups.queuedKeys} key(s) queued since{' '}
        <RelativeTime iso={rollups.oldestQueuedAt} />
      </>
    );
  }
  return (
    <Typography variant="caption" display="block" color="textSecondary">
      {text}
    </Typography>
  );
};

const Consumer = ({
  ingestion,
}: {
  ingestion: StatusResponse['ingestion'];
}) => {
  const consumer = ingestion.consumer;
  if (!consumer) {
    return (
      <Typography variant="body2">
        {ingestion.mode === 'embedded'
          ? 'none: the webhook stores events itself'
          : 'not on this replica'}
      </Typography>
    );
  }
  const lastReceive = (
    <Typography variant="caption" display="block" color="textSecondary">
      last receive <RelativeTime iso={consumer.lastReceiveAt} />
      {consumer.receiveErrors > 0 &&
        ` · ${consumer.receiveErrors} receive errors`}
      {consumer.failedWrites > 0 && ` · ${consumer.failedWrites} failed writes`}
    </Typography>
  );
  if (consumer.state === 'running') {
    return (
      <>
        <StatusOK>running</StatusOK>
        {lastReceive}
      </>
    );
  }
  if (consumer.state === 'backing-off') {
    return (
      <>
        <StatusWarning>
          backing off{consumer.reason && `: ${consumer.reason}`}
        </StatusWarning>
        {lastReceive}
      </>
    );
  }
  return (
    <>
      <StatusPending>stopped</StatusPending>
      {lastReceive}
    </>
  );
};

const Queue = ({ queue }: { queue: StatusResponse['ingestion']['queue'] }) => {
  if (!queue) return <Typography variant="body2">no queue</Typography>;
  if (queue.error) return <StatusError>{queue.error}</StatusError>;
  const dlq = queue.dlqDepth ?? 0;
  return (
    <>
      <Typography variant="body2">
        {count(queue.depth)} waiting · {count(queue.inFlight)} in flight
      </Typography>
      {dlq > 0 ? (
        <StatusError>DLQ: {dlq}</StatusError>
      ) : (
        <Typography variant="caption" color="textSecondary">
          DLQ: {count(queue.dlqDepth)}
        </Typography>
      )}
    </>
  );
};

const Retention = ({
  retention,
}: {
  retention: StatusResponse['retention'];
}) => {
  const deleted = retention.lastRun
    ? Object.values(retention.lastRun.deleted).reduce((a, b) => a + b, 0)
    : 0;
  return (
    <>
      {retention.error ? (
        <StatusError>{retention.error}</StatusError>
      ) : (
        <Typography variant="body2">
          {retention.lastRun ? (
            <>
              <RelativeTime iso={retention.lastRun.finishedAt} /> · {deleted}{' '}
              rows deleted
            </>
          ) : (
            'not run yet'
          )}
        </Typography>
      )}
      <Typography variant="caption" color="textSecondary">
        keeps {retention.days} days
      </Typography>
    </>
  );
};

/** The status' body: problems first, then each part's state. */
export const StatusDetails = ({ status }: { status: StatusResponse }) => (
  <>
    {!status.ok && (
      <Box mb={2}>
        <WarningPanel
          severity="warning"
          title="Ingestion needs attention: the figures below may be stale"
          defaultExpanded
        >
          <ul aria-label="Problems" style={{ margin: 0 }}>
            {status.problems.map(p => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </WarningPanel>
      </Box>
    )}
    <Grid
      container
      spacing={2}
      component="ul"
      aria-label="Ingestion status"
      style={{ listStyle: 'none', padding: 0, margin: 0 }}
    >
      <Item label="Database">
        <Database database={status.database} />
        <Rollups rollups={status.rollups} />
      </Item>
      <Item label={`Consumer (${status.ingestion.mode} mode)`}>
        <Consumer ingestion={status.ingestion} />
        {status.ingestion.lastIngestLagSeconds !== undefined && (
          <Typography variant="caption" display="block" color="textSecondary">
            lag {status.ingestion.lastIngestLagSeconds} s
          </Typography>
        )}
      </Item>
      <Item label="Queue">
        <Queue queue={status.ingestion.queue} />
      </Item>
      <Item label="Last retention run">
        <Retention retention={status.retention} />
      </Item>
    </Grid>
    <Box mt={1}>
      <Typography variant="caption" color="textSecondary">
        {status.ok ? 'All good' : `${status.problems.length} problem(s)`} ·
        checked <RelativeTime iso={status.checkedAt} />
      </Typography>
    </Box>
  </>
);

/**
 * The backend's own health (`GET /status`), refreshed with the page, so a
 * broken pipeline shows as a warning instead of silently stale figures.
 */
export const StatusPanel = () => {
  const api = useApi(deploymentQualityApiRef);
  const state = useAutoRefresh(() => api.getStatus(), [api]);
  return (
    <InfoCard title="Ingestion status">
      <AsyncView state={state}>
        {status => <StatusDetails status={status} />}
      </AsyncView>
    </InfoCard>
  );
};
