import { CompoundEntityRef } from '@backstage/catalog-model';
import { TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Typography,
} from '@material-ui/core';
import {
  TestFailureSignature,
  TestRunOutcome,
} from '@deployment-quality/plugin-deployment-quality-common';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AsyncView } from '../shared/AsyncView';
import { RelativeTime } from '../shared/RelativeTime';
import { pagedOptions, ResponsiveTable } from '../shared/ResponsiveTable';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { describeOutcome, OutcomeStrip } from './OutcomeStrip';

const runColumns: TableColumn<TestRunOutcome>[] = [
  { title: 'Ran', render: o => <RelativeTime iso={o.executedAt} /> },
  { title: 'Cluster-region', field: 'clusterId' },
  { title: 'Build', field: 'buildVersion' },
  { title: 'Outcome', render: o => describeOutcome(o) },
  { title: 'Duration', render: o => `${(o.durationMs / 1000).toFixed(2)} s` },
  {
    title: 'Failure',
    render: o =>
      o.message ? (
        <Typography variant="body2" style={{ wordBreak: 'break-word' }}>
          {o.message}
        </Typography>
      ) : (
        '—'
      ),
  },
];

const signatureColumns: TableColumn<TestFailureSignature>[] = [
  {
    title: 'Signature',
    render: s => (
      <Typography variant="body2" style={{ wordBreak: 'break-word' }}>
        <code>{s.signature}</code>
      </Typography>
    ),
  },
  { title: 'Runs', field: 'runs' },
  { title: 'Last seen', render: s => <RelativeTime iso={s.lastSeen} /> },
];

const HistoryLoader = ({
  entityRef,
  caseId,
  from,
  to,
}: {
  entityRef: CompoundEntityRef;
  caseId: string;
  from?: string;
  to?: string;
}) => {
  const api = useApi(deploymentQualityApiRef);
  const state = useAutoRefresh(
    () => api.getEntityTestHistory(entityRef, caseId, { from, to, limit: 50 }),
    [api, entityRef, caseId, from, to],
  );
  return (
    <AsyncView state={state}>
      {history => (
        <Box>
          <Typography variant="body2" color="textSecondary" gutterBottom>
            {history.test.suite}
            {history.test.className ? ` › ${history.test.className}` : ''}
          </Typography>
          <Box my={2}>
            <OutcomeStrip outcomes={history.outcomes} />
          </Box>
          {history.signatures.length > 0 && (
            <Box mb={2}>
              <ResponsiveTable<TestFailureSignature>
                title="Failure signatures"
                options={{ paging: false, search: false, padding: 'dense' }}
                data={history.signatures}
                columns={signatureColumns}
              />
            </Box>
          )}
          <ResponsiveTable<TestRunOutcome>
            title={`Runs (latest ${history.outcomes.length})`}
            options={pagedOptions(history.outcomes.length)}
            data={history.outcomes}
            columns={runColumns}
          />
        </Box>
      )}
    </AsyncView>
  );
};

/**
 * One test's runs on the entity's service and its failure signatures, over
 * the list that named it.
 */
export const TestHistoryDialog = ({
  entityRef,
  test,
  from,
  to,
  onClose,
}: {
  entityRef: CompoundEntityRef;
  test: { caseId: string; name: string } | undefined;
  from?: string;
  to?: string;
  onClose: () => void;
}) => (
  <Dialog
    open={test !== undefined}
    onClose={onClose}
    maxWidth="lg"
    fullWidth
    aria-labelledby="dq-test-dialog-title"
  >
    <DialogTitle id="dq-test-dialog-title">
      {test && `Test history: ${test.name}`}
    </DialogTitle>
    <DialogContent>
      {test && (
        <HistoryLoader
          entityRef={entityRef}
          caseId={test.caseId}
          from={from}
          to={to}
        />
      )}
    </DialogContent>
    <DialogActions>
      <Button onClick={onClose}>Close</Button>
    </DialogActions>
  </Dialog>
);
