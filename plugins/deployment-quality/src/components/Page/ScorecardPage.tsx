import { EmptyState, TableColumn } from '@backstage/core-components';
import { ResponsiveTable } from '../shared/ResponsiveTable';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { Box, Button, Chip, Typography } from '@material-ui/core';
import GetAppIcon from '@material-ui/icons/GetApp';
import {
  SCORECARD_METRICS,
  ScorecardEntry,
  ScorecardPolicy,
} from '@deployment-quality/plugin-deployment-quality-common';
import { useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { DefinitionTooltip } from '../charts/DefinitionTooltip';
import { AsyncView } from '../shared/AsyncView';
import { formatMinutes, formatPercent, formatRatio } from '../shared/format';
import { saveFile } from '../shared/saveFile';
import { DEFAULT_WINDOW, TimeWindow, windowQuery } from '../shared/timeWindow';
import { TimeWindowControl } from '../shared/TimeWindowControl';
import { useAutoRefresh } from '../shared/useAutoRefresh';

type Row = ScorecardEntry & { rank: number };

const METRIC_LABEL: Record<(typeof SCORECARD_METRICS)[number], string> = {
  deploySuccessRate: 'deploy success rate',
  gatePassRate: 'gate pass rate',
  changeFailureRate: 'change failure rate',
  leadTime: 'lead time',
  timeToRestore: 'failed deployment recovery time',
};

/** "Weighted mean of …": how the score is made, from the policy in force. */
const scoreDefinition = (policy: ScorecardPolicy) =>
  `0–100, the weighted mean of the sub-scores that have data: ${SCORECARD_METRICS.map(
    m => `${METRIC_LABEL[m]} ${Math.round(policy.weights[m] * 100)} %`,
  ).join(
    ', ',
  )}. Each metric scores 100 at its "good" threshold and 0 at its "bad" one. Grades: ${policy.grades
    .map(g => `${g.grade} ≥ ${g.min}`)
    .join(', ')}, else F.`;

// Missing metrics sort below every measured one.
const byNullable = (get: (r: Row) => number | null) => (a: Row, b: Row) =>
  (get(a) ?? -Infinity) - (get(b) ?? -Infinity);

const columns = (policy: ScorecardPolicy): TableColumn<Row>[] => [
  { title: '#', field: 'rank', type: 'numeric', defaultSort: 'asc' },
  {
    title: 'Service',
    field: 'serviceId',
    render: r =>
      r.entityRef ? <EntityRefLink entityRef={r.entityRef} /> : r.serviceId,
  },
  {
    title: (
      <Box display="flex" alignItems="center" component="span">
        Score
        <DefinitionTooltip
          label="the score"
          definition={scoreDefinition(policy)}
        />
      </Box>
    ),
    field: 'score',
    type: 'numeric',
    customSort: byNullable(r => r.score),
    render: r => (r.score === null ? '—' : r.score.toFixed(1)),
  },
  { title: 'Grade', field: 'grade', render: r => r.grade ?? '—' },
  {
    title: 'Deploy success',
    field: 'metrics.deploySuccessRate',
    customSort: byNullable(r => r.metrics.deploySuccessRate),
    render: r => formatRatio(r.metrics.deploySuccessRate),
  },
  {
    title: 'Gate pass rate',
    field: 'metrics.gatePassRate',
    customSort: byNullable(r => r.metrics.gatePassRate),
    render: r => formatPercent(r.metrics.gatePassRate),
  },
  {
    title: 'Change failure rate',
    field: 'metrics.changeFailureRate',
    customSort: byNullable(r => r.metrics.changeFailureRate),
    render: r => formatRatio(r.metrics.changeFailureRate),
  },
  {
    title: 'Lead time p50',
    field: 'metrics.leadTimeP50Min',
    customSort: byNullable(r => r.metrics.leadTimeP50Min),
    render: r => formatMinutes(r.metrics.leadTimeP50Min),
  },
  {
    title: 'Recovery time p50',
    field: 'metrics.failedDeploymentRecoveryTimeP50Min',
    customSort: byNullable(r => r.metrics.failedDeploymentRecoveryTimeP50Min),
    render: r => formatMinutes(r.metrics.failedDeploymentRecoveryTimeP50Min),
  },
  { title: 'Deploys', field: 'metrics.deploys', type: 'numeric' },
  {
    title: 'Other tools',
    sorting: false,
    render: r =>
      r.external.length === 0 ? (
        '—'
      ) : (
        <Box display="flex" flexWrap="wrap" style={{ gap: 4 }}>
          {r.external.map(e => (
            <Chip
              key={e.name}
              size="small"
              variant="outlined"
              label={`${e.name} ${e.percent} %`}
              title={`${e.score} of ${e.maxScore}, measured ${e.measuredAt
                .slice(0, 16)
                .replace('T', ' ')} UTC`}
            />
          ))}
        </Box>
      ),
  },
];

/** Fetches the CSV of the same window and saves it. */
const ExportCsvButton = ({
  range,
}: {
  range: { from: string; to: string };
}) => {
  const api = useApi(deploymentQualityApiRef);
  const [state, exportCsv] = useAsyncFn(async () => {
    const { csv, filename } = await api.getScorecardCsv(range);
    saveFile(csv, filename);
  }, [api, range.from, range.to]);
  return (
    <Box display="flex" alignItems="center" style={{ gap: 8 }}>
      <Button
        variant="outlined"
        startIcon={<GetAppIcon />}
        disabled={state.loading}
        onClick={exportCsv}
      >
        Export CSV
      </Button>
      {state.error && (
        <Typography color="error" role="alert">
          Export failed: {state.error.message}
        </Typography>
      )}
    </Box>
  );
};

/** Every service ranked by its quality score over a window. */
export const ScorecardPage = () => {
  const api = useApi(deploymentQualityApiRef);
  const [timeWindow, setTimeWindow] = useState<TimeWindow>(DEFAULT_WINDOW);
  const query = windowQuery(timeWindow);
  const { from, to } = query;
  const state = useAutoRefresh(
    () => api.getScorecard({ from, to }),
    [api, from, to],
  );
  return (
    <Box>
      <Box
        display="flex"
        flexWrap="wrap"
        justifyContent="space-between"
        style={{ gap: 16 }}
        mb={3}
      >
        <TimeWindowControl value={timeWindow} onChange={setTimeWindow} />
        <ExportCsvButton range={query} />
      </Box>
      <AsyncView
        state={state}
        isEmpty={s => s.services.length === 0}
        empty={
          <EmptyState
            missing="data"
            title="No services to score"
            description="Services appear here once a CI/CD system reports their deployments."
          />
        }
      >
        {scorecard => (
          <ResponsiveTable<Row>
            title={`Quality scorecard, ${scorecard.window.from.slice(
              0,
              10,
            )} – ${scorecard.window.to.slice(0, 10)}`}
            columns={columns(scorecard.policy)}
            data={scorecard.services.map((s, i) => ({ ...s, rank: i + 1 }))}
            isLoading={state.loading}
            options={{
              // 5,000 services are pages of 50, not one long scroll.
              paging: scorecard.services.length > 50,
              pageSize: 50,
              pageSizeOptions: [50, 200, 1000],
              search: true,
              padding: 'dense',
            }}
          />
        )}
      </AsyncView>
    </Box>
  );
};
