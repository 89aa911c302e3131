import { InfoCard, Link, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Link as TextLink,
  Typography,
} from '@material-ui/core';
import {
  FleetFailureSignature,
  SignatureOccurrence,
} from '@deployment-quality/plugin-deployment-quality-common';
import { useState } from 'react';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { usePageLinks } from '../Page/links';
import { AsyncView } from '../shared/AsyncView';
import { RelativeTime } from '../shared/RelativeTime';
import { pagedOptions, ResponsiveTable } from '../shared/ResponsiveTable';
import { useAutoRefresh } from '../shared/useAutoRefresh';

const Code = ({ text }: { text: string }) => (
  <Typography variant="body2" style={{ wordBreak: 'break-word' }}>
    <code>{text}</code>
  </Typography>
);

const Occurrences = ({
  signatureId,
  from,
  to,
}: {
  signatureId: string;
  from?: string;
  to?: string;
}) => {
  const api = useApi(deploymentQualityApiRef);
  const links = usePageLinks();
  const state = useAutoRefresh(
    () => api.getFailureSignature(signatureId, { from, to }),
    [api, signatureId, from, to],
  );
  const columns: TableColumn<SignatureOccurrence>[] = [
    { title: 'When', render: o => <RelativeTime iso={o.executedAt} /> },
    { title: 'Service', field: 'serviceId' },
    {
      title: 'Build',
      render: o =>
        o.attemptId ? (
          <Link to={links.build(o.attemptId)}>{o.buildVersion}</Link>
        ) : (
          o.buildVersion ?? '—'
        ),
    },
    { title: 'Cluster-region', field: 'clusterId' },
    {
      title: 'Test',
      render: o => (
        <>
          <Typography variant="body2">{o.name}</Typography>
          <Typography variant="caption" color="textSecondary">
            {o.className || o.suite}
          </Typography>
        </>
      ),
    },
    { title: 'Message', render: o => o.message ?? '—' },
  ];
  return (
    <AsyncView state={state}>
      {answer => (
        <ResponsiveTable<SignatureOccurrence>
          title={`Latest ${answer.occurrences.length} failures`}
          options={pagedOptions(answer.occurrences.length, 10, 100)}
          data={answer.occurrences}
          columns={columns}
        />
      )}
    </AsyncView>
  );
};

/**
 * What is breaking builds across the fleet: the window's failure
 * signatures by attempts affected, each opening its latest failures.
 * Nothing is shown while no failed test said why.
 */
export const FailureSignatures = ({
  from,
  to,
}: {
  from?: string;
  to?: string;
}) => {
  const api = useApi(deploymentQualityApiRef);
  const [open, setOpen] = useState<FleetFailureSignature>();
  const state = useAutoRefresh(
    () => api.getFailureSignatures({ from, to }),
    [api, from, to],
  );
  const columns: TableColumn<FleetFailureSignature>[] = [
    {
      title: 'Failure',
      render: s => (
        <TextLink
          component="button"
          variant="body2"
          onClick={() => setOpen(s)}
          aria-label={`Failures: ${s.signature}`}
          style={{ textAlign: 'left' }}
        >
          <code>{s.signature}</code>
        </TextLink>
      ),
    },
    { title: 'Attempts', field: 'attempts' },
    { title: 'Services', field: 'services' },
    { title: 'Cluster-regions', field: 'clusters' },
    { title: 'Tests', field: 'tests' },
    {
      title: 'Most affected',
      render: s =>
        s.topServices.map(t => `${t.serviceId} (${t.attempts})`).join(', '),
    },
    { title: 'Last seen', render: s => <RelativeTime iso={s.lastSeen} /> },
  ];
  return (
    <AsyncView
      state={state}
      isEmpty={v => v.signatures.length === 0}
      empty={null}
    >
      {answer => (
        <Box mt={3}>
          <InfoCard
            title="What is breaking builds"
            subheader="Failed tests grouped by what they said (numbers, ids, paths and times set aside), by attempts affected"
          >
            <ResponsiveTable<FleetFailureSignature>
              options={{
                ...pagedOptions(answer.signatures.length),
                toolbar: false,
              }}
              data={answer.signatures}
              columns={columns}
            />
            <Dialog
              open={open !== undefined}
              onClose={() => setOpen(undefined)}
              maxWidth="lg"
              fullWidth
              aria-labelledby="dq-signature-title"
            >
              <DialogTitle id="dq-signature-title">
                {open && 'Failures with one signature'}
              </DialogTitle>
              <DialogContent>
                {open && (
                  <>
                    <Code text={open.signature} />
                    <Box mt={2}>
                      <Occurrences
                        signatureId={open.signatureId}
                        from={from}
                        to={to}
                      />
                    </Box>
                  </>
                )}
              </DialogContent>
              <DialogActions>
                <Button onClick={() => setOpen(undefined)}>Close</Button>
              </DialogActions>
            </Dialog>
          </InfoCard>
        </Box>
      )}
    </AsyncView>
  );
};
