import { InfoCard, TableColumn } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Box, Chip, Link, Typography } from '@material-ui/core';
import { FlakyTest } from '@internal/plugin-deployment-quality-common';
import { useState } from 'react';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AsyncView } from '../shared/AsyncView';
import { formatRatio } from '../shared/format';
import { RelativeTime } from '../shared/RelativeTime';
import { ResponsiveTable } from '../shared/ResponsiveTable';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { useEntityRef } from '../shared/useEntityRef';
import { TestHistoryDialog } from './TestHistoryDialog';

const PAGE = 10;

const EVIDENCE: Record<FlakyTest['evidence'][number]['kind'], string> = {
  retry: 'passed on retry',
  rerun: 'passed on a rerun of the attempt',
  flip: 'flipped on one version',
};

/**
 * The service's flaky tests in the tab's window, flakiest first; a test's
 * name opens its history. Nothing is shown while no test is flaky.
 */
export const FlakyTests = ({ from, to }: { from?: string; to?: string }) => {
  const api = useApi(deploymentQualityApiRef);
  const entityRef = useEntityRef();
  const [open, setOpen] = useState<FlakyTest>();
  const state = useAutoRefresh(
    () => api.getEntityFlakyTests(entityRef, { from, to }),
    [api, entityRef, from, to],
  );
  const columns: TableColumn<FlakyTest>[] = [
    {
      title: 'Test',
      render: t => (
        <>
          <Link
            component="button"
            variant="body2"
            onClick={() => setOpen(t)}
            aria-label={`History of ${t.name}`}
            style={{ textAlign: 'left' }}
          >
            {t.name}
          </Link>
          <Typography
            variant="caption"
            color="textSecondary"
            display="block"
            style={{ wordBreak: 'break-word' }}
          >
            {t.className || t.suite}
          </Typography>
        </>
      ),
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
  ];
  return (
    <AsyncView state={state} isEmpty={v => v.tests.length === 0} empty={null}>
      {flaky => (
        <InfoCard
          title="Flaky tests"
          subheader={`${flaky.tests.length}${
            flaky.truncated ? '+' : ''
          } tests both failed and passed: on a retry, a rerun of the attempt, or within ${
            flaky.filter.flipWindow
          } runs of one version`}
        >
          <ResponsiveTable<FlakyTest>
            options={{
              paging: flaky.tests.length > PAGE,
              pageSize: PAGE,
              pageSizeOptions: [PAGE, 50],
              search: flaky.tests.length > PAGE,
              padding: 'dense',
              toolbar: flaky.tests.length > PAGE,
            }}
            data={flaky.tests}
            columns={columns}
          />
          <TestHistoryDialog
            test={open}
            from={from}
            to={to}
            onClose={() => setOpen(undefined)}
          />
        </InfoCard>
      )}
    </AsyncView>
  );
};
