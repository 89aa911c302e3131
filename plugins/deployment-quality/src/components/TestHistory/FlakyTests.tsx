import { InfoCard, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Box, Button, Chip, Typography } from '@material-ui/core';
import {
  FlakyTest,
  FlakyTestsResponse,
  QuarantinedTest,
} from '@deployment-quality/plugin-deployment-quality-common';
import { useState } from 'react';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AsyncView } from '../shared/AsyncView';
import { formatRatio } from '../shared/format';
import { RelativeTime } from '../shared/RelativeTime';
import { pagedOptions, ResponsiveTable } from '../shared/ResponsiveTable';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { useEntityRef } from '../shared/useEntityRef';
import { TestHistoryDialog } from './TestHistoryDialog';
import { QuarantineDialog } from './QuarantineDialog';
import { TestName } from './TestName';

const PAGE = 10;

const EVIDENCE: Record<FlakyTest['evidence'][number]['kind'], string> = {
  retry: 'passed on retry',
  rerun: 'passed on a rerun of the attempt',
  flip: 'flipped on one version',
};

/**
 * The change failure rate beside the same without the failures only flaky
 * or quarantined tests caused: what the tests' noise costs the figure.
 */
const ChangeFailures = ({ answer }: { answer: FlakyTestsResponse }) => {
  const c = answer.changeFailures;
  if (c.finished === 0) return null;
  return (
    <Box mb={2} title={answer.definitions.changeFailureRateWithoutTestNoise}>
      <Typography
        variant="body2"
        aria-label="Change failure rate without test noise"
      >
        Change failure rate {formatRatio(c.rate)} ({c.failures} of {c.finished}
        ); without the {c.testNoise} failures only flaky or quarantined tests
        caused: <b>{formatRatio(c.rateWithoutTestNoise)}</b> (
        {c.failures - c.testNoise} of {c.finished})
      </Typography>
    </Box>
  );
};

/**
 * The service's flaky tests in the tab's window, flakiest first, and its
 * quarantined tests; a test's name opens its history. With the permission
 * `deployment-quality.quarantine`, a flaky test can be quarantined and a
 * quarantine lifted. Nothing is shown while no test is flaky or
 * quarantined.
 */
export const FlakyTests = ({ from, to }: { from?: string; to?: string }) => {
  const api = useApi(deploymentQualityApiRef);
  const entityRef = useEntityRef();
  const [open, setOpen] = useState<{ caseId: string; name: string }>();
  const [quarantining, setQuarantining] = useState<FlakyTest>();
  const state = useAutoRefresh(async () => {
    const [flaky, quarantine] = await Promise.all([
      api.getEntityFlakyTests(entityRef, { from, to }),
      api.getEntityQuarantine(entityRef),
    ]);
    return { flaky, quarantine };
  }, [api, entityRef, from, to]);
  const quarantined = new Set(
    state.value?.quarantine.tests.map(q => q.caseId) ?? [],
  );
  const canManage = state.value?.quarantine.canManage ?? false;

  const columns: TableColumn<FlakyTest>[] = [
    {
      title: 'Test',
      render: t => <TestName test={t} onOpen={() => setOpen(t)} />,
    },
    { title: 'Suite type', field: 'suiteType' },
    { title: 'Flake rate', render: t => formatRatio(t.flakeRate) },
    { title: 'Flaky runs', render: t => `${t.flakyRuns} of ${t.runs}` },
    { title: 'Last seen', render: t => <RelativeTime iso={t.lastSeen} /> },
    {
      title: 'Why',
      render: t => (
        <Box display="flex" flexWrap="wrap" style={{ gap: 4 }}>
          {[...new Set(t.evidence.map(e => e.kind))].map(kind => (
            <Chip key={kind} size="small" label={EVIDENCE[kind]} />
          ))}
        </Box>
      ),
    },
    {
      title: 'Gate',
      render: t => {
        if (quarantined.has(t.caseId)) {
          return <Chip size="small" variant="outlined" label="quarantined" />;
        }
        return canManage ? (
          <Button
            size="small"
            variant="outlined"
            onClick={() => setQuarantining(t)}
            aria-label={`Quarantine ${t.name}`}
          >
            Quarantine
          </Button>
        ) : (
          'counts'
        );
      },
    },
  ];
  const quarantineColumns: TableColumn<QuarantinedTest>[] = [
    {
      title: 'Test',
      render: q => (
        <TestName
          test={q}
          onOpen={
            q.caseId
              ? () => setOpen({ caseId: q.caseId!, name: q.name })
              : undefined
          }
        />
      ),
    },
    { title: 'Reason', field: 'reason' },
    {
      title: 'Quarantined by',
      render: q =>
        q.source === 'config' ? (
          'app-config'
        ) : (
          <>
            {q.addedBy} · <RelativeTime iso={q.addedAt} />
          </>
        ),
    },
    {
      title: '',
      render: q =>
        canManage && q.source === 'ui' && q.caseId ? (
          <Button
            size="small"
            onClick={async () => {
              await api.liftQuarantine(entityRef, q.caseId!);
              state.retry();
            }}
            aria-label={`Lift the quarantine of ${q.name}`}
          >
            Lift
          </Button>
        ) : null,
    },
  ];
  return (
    <AsyncView
      state={state}
      isEmpty={v =>
        v.flaky.tests.length === 0 && v.quarantine.tests.length === 0
      }
      empty={null}
    >
      {({ flaky, quarantine }) => (
        <InfoCard
          title="Flaky tests"
          subheader={`${flaky.tests.length}${
            flaky.truncated ? '+' : ''
          } tests both failed and passed: on a retry, a rerun of the attempt, or within ${
            flaky.filter.flipWindow
          } runs of one version`}
        >
          <ChangeFailures answer={flaky} />
          {flaky.tests.length > 0 && (
            <ResponsiveTable<FlakyTest>
              options={{
                ...pagedOptions(flaky.tests.length),
                search: flaky.tests.length > PAGE,
                toolbar: flaky.tests.length > PAGE,
              }}
              data={flaky.tests}
              columns={columns}
            />
          )}
          {quarantine.tests.length > 0 && (
            <Box mt={2}>
              <ResponsiveTable<QuarantinedTest>
                title={`Quarantined: their failures don't fail a gate (${quarantine.tests.length})`}
                options={{ paging: false, search: false, padding: 'dense' }}
                data={quarantine.tests}
                columns={quarantineColumns}
              />
            </Box>
          )}
          <TestHistoryDialog
            entityRef={entityRef}
            test={open}
            from={from}
            to={to}
            onClose={() => setOpen(undefined)}
          />
          <QuarantineDialog
            test={quarantining}
            onCancel={() => setQuarantining(undefined)}
            onConfirm={async reason => {
              await api.quarantineTest(entityRef, quarantining!.caseId, reason);
              setQuarantining(undefined);
              state.retry();
            }}
          />
        </InfoCard>
      )}
    </AsyncView>
  );
};
