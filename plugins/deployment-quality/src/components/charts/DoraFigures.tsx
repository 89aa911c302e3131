import { InfoCard } from '@backstage/core-components';
import {
  Box,
  Chip,
  Grid,
  MenuItem,
  TextField,
  Tooltip,
  Typography,
  useTheme,
} from '@material-ui/core';
import {
  AnalyticsResponse,
  DORA_BENCHMARK_YEARS,
  DoraBenchmarkYear,
  DoraTier,
  TieredFigure,
} from '@deployment-quality/plugin-deployment-quality-common';
import { formatMinutes, formatRatio } from '../shared/format';
import { DefinitionTooltip } from './DefinitionTooltip';

const TIER_LABEL: Record<DoraTier, string> = {
  elite: 'Elite',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
};

type Dora = AnalyticsResponse['dora'];

/**
 * A tier in Backstage's status colours (elite/high fine, medium warns, low
 * errs), always with the year of the report it was read against: a 2023
 * "High" and a 2024 "High" are different claims.
 */
const TierChip = ({
  tier,
  year,
  meaning,
}: {
  tier: DoraTier | null;
  year: string;
  meaning?: string;
}) => {
  const { status } = useTheme().palette;
  const colour = {
    elite: status.ok,
    high: status.ok,
    medium: status.warning,
    low: status.error,
  };
  const chip = (
    <Chip
      size="small"
      label={tier ? `${TIER_LABEL[tier]} · ${year}` : 'No data'}
      style={
        tier ? { backgroundColor: colour[tier], color: '#fff' } : undefined
      }
    />
  );
  return meaning ? (
    <Tooltip title={meaning} arrow>
      {chip}
    </Tooltip>
  ) : (
    chip
  );
};

type Figure = {
  label: string;
  value: string;
  /** Absent: DORA published no tiers for the figure. */
  tiered?: TieredFigure;
  sample: string;
  definition: string;
};

const FigureTile = ({ figure, dora }: { figure: Figure; dora: Dora }) => {
  const tier = figure.tiered ? dora.tiers[figure.tiered] : null;
  const year = dora.benchmark.year;
  const meaning =
    figure.tiered && tier
      ? `DORA ${year}, ${TIER_LABEL[tier]}: ${
          dora.benchmark.figures[figure.tiered].labels[tier]
        }`
      : undefined;
  return (
    <Box
      component="section"
      aria-label={`${figure.label}: ${figure.value}, ${
        figure.tiered ? `tier ${tier ?? 'unknown'} (DORA ${year})` : 'no tier'
      }, ${figure.sample}`}
      p={2}
      border={1}
      borderColor="divider"
      borderRadius={4}
      height="100%"
    >
      <Box display="flex" alignItems="center">
        <Typography variant="subtitle2">{figure.label}</Typography>
        <DefinitionTooltip
          label={figure.label.toLocaleLowerCase()}
          definition={figure.definition}
        />
      </Box>
      <Typography variant="h5">{figure.value}</Typography>
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 8 }}
        mt={1}
      >
        {figure.tiered ? (
          <TierChip tier={tier} year={year} meaning={meaning} />
        ) : (
          <Chip size="small" variant="outlined" label="No DORA tiers" />
        )}
        <Typography variant="caption" color="textSecondary">
          {figure.sample}
        </Typography>
      </Box>
    </Box>
  );
};

/** Throughput and instability, DORA's grouping since 2024. */
const Profile = ({ dora, definition }: { dora: Dora; definition: string }) => (
  <Box
    display="flex"
    alignItems="center"
    flexWrap="wrap"
    style={{ gap: 12 }}
    mb={2}
    aria-label="DORA profile"
  >
    {(['throughput', 'instability'] as const).map(group => (
      <Box key={group} display="flex" alignItems="center" style={{ gap: 6 }}>
        <Typography variant="body2">
          {group === 'throughput' ? 'Throughput' : 'Instability'}
        </Typography>
        <TierChip tier={dora.profile[group].tier} year={dora.benchmark.year} />
      </Box>
    ))}
    <DefinitionTooltip label="the profile" definition={definition} />
  </Box>
);

/**
 * The five DORA figures of the window, each with its tier in the selected
 * report's clusters, the throughput / instability profile and, with
 * `onBenchmarkChange`, a choice of the report.
 */
export const DoraFigures = ({
  analytics,
  onBenchmarkChange,
}: {
  analytics: Pick<AnalyticsResponse, 'dora' | 'definitions'>;
  onBenchmarkChange?: (year: DoraBenchmarkYear) => void;
}) => {
  const { dora, definitions } = analytics;
  const { samples } = dora;
  const figures: Figure[] = [
    {
      label: 'Deployment frequency',
      value: `${dora.deploymentFrequencyPerDay.toFixed(2)} / day`,
      tiered: 'deploymentFrequency',
      sample: `${samples.deploymentFrequency.deploys} deploys / ${samples.deploymentFrequency.days} days`,
      definition: definitions.deploymentFrequency,
    },
    {
      label: 'Lead time for changes',
      value: `${formatMinutes(dora.leadTimeMin.p50)} (p90 ${formatMinutes(
        dora.leadTimeMin.p90,
      )})`,
      tiered: 'leadTime',
      sample: `n = ${samples.leadTime.n}`,
      definition: definitions.leadTimeForChanges,
    },
    {
      label: 'Failed deployment recovery time',
      value: formatMinutes(dora.failedDeploymentRecoveryTimeMin.p50),
      tiered: 'failedDeploymentRecoveryTime',
      sample: `n = ${samples.failedDeploymentRecoveryTime.n}, ${samples.failedDeploymentRecoveryTime.unrecovered} unrecovered`,
      definition: definitions.failedDeploymentRecoveryTime,
    },
    {
      label: 'Change failure rate',
      value: formatRatio(dora.changeFailureRate),
      tiered: 'changeFailureRate',
      sample: `${samples.changeFailureRate.failures} failed / ${samples.changeFailureRate.finished} finished`,
      definition: definitions.changeFailureRate,
    },
    {
      label: 'Deployment rework rate',
      value: formatRatio(dora.deploymentReworkRate),
      sample: `${samples.deploymentReworkRate.rework} rework / ${samples.deploymentReworkRate.finished} finished`,
      definition: definitions.deploymentReworkRate,
    },
  ];
  return (
    <InfoCard
      title={
        <Box
          display="flex"
          alignItems="center"
          flexWrap="wrap"
          style={{ gap: 8 }}
        >
          DORA figures
          <TierChip tier={dora.tier} year={dora.benchmark.year} />
          <DefinitionTooltip label="the tiers" definition={definitions.tier} />
          {onBenchmarkChange && (
            <TextField
              select
              size="small"
              variant="outlined"
              id="dq-dora-benchmark"
              label="Benchmark"
              value={dora.benchmark.year}
              onChange={e =>
                onBenchmarkChange(e.target.value as DoraBenchmarkYear)
              }
              style={{ marginLeft: 'auto', minWidth: 150 }}
            >
              {DORA_BENCHMARK_YEARS.map(year => (
                <MenuItem key={year} value={year}>
                  DORA {year}
                </MenuItem>
              ))}
            </TextField>
          )}
        </Box>
      }
    >
      <Profile dora={dora} definition={definitions.profile} />
      <Grid container spacing={2}>
        {figures.map(f => (
          <Grid item xs={12} sm={6} md={4} lg key={f.label}>
            <FigureTile figure={f} dora={dora} />
          </Grid>
        ))}
      </Grid>
    </InfoCard>
  );
};
