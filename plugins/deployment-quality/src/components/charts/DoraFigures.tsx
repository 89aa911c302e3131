import { InfoCard } from '@backstage/core-components';
import { Box, Chip, Grid, Typography, useTheme } from '@material-ui/core';
import {
  AnalyticsResponse,
  DoraTier,
} from '@internal/plugin-deployment-quality-common';
import { formatMinutes, formatRatio } from '../shared/format';
import { DefinitionTooltip } from './DefinitionTooltip';

const TIER_LABEL: Record<DoraTier, string> = {
  elite: 'Elite',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
};

/** A tier in Backstage's status colours: elite/high fine, medium warns, low errs. */
const TierChip = ({ tier }: { tier: DoraTier | null }) => {
  const { status } = useTheme().palette;
  const colour = {
    elite: status.ok,
    high: status.ok,
    medium: status.warning,
    low: status.error,
  };
  return (
    <Chip
      size="small"
      label={tier ? TIER_LABEL[tier] : 'No data'}
      style={
        tier ? { backgroundColor: colour[tier], color: '#fff' } : undefined
      }
    />
  );
};

type Figure = {
  label: string;
  value: string;
  tier: DoraTier | null;
  sample: string;
  definition: string;
};

const FigureTile = ({ figure }: { figure: Figure }) => (
  <Box
    component="section"
    aria-label={`${figure.label}: ${figure.value}, tier ${
      figure.tier ?? 'unknown'
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
    <Box display="flex" alignItems="center" style={{ gap: 8 }} mt={1}>
      <TierChip tier={figure.tier} />
      <Typography variant="caption" color="textSecondary">
        {figure.sample}
      </Typography>
    </Box>
  </Box>
);

/** The four DORA figures of the window, each with its tier and sample. */
export const DoraFigures = ({
  analytics,
}: {
  analytics: Pick<AnalyticsResponse, 'dora' | 'definitions'>;
}) => {
  const { dora, definitions } = analytics;
  const { samples, tiers } = dora;
  const figures: Figure[] = [
    {
      label: 'Deployment frequency',
      value: `${dora.deploymentFrequencyPerDay.toFixed(2)} / day`,
      tier: tiers.deploymentFrequency,
      sample: `${samples.deploymentFrequency.deploys} deploys / ${samples.deploymentFrequency.days} days`,
      definition: definitions.deploymentFrequency,
    },
    {
      label: 'Lead time for changes',
      value: `${formatMinutes(dora.leadTimeMin.p50)} (p90 ${formatMinutes(
        dora.leadTimeMin.p90,
      )})`,
      tier: tiers.leadTime,
      sample: `n = ${samples.leadTime.n}`,
      definition: definitions.leadTimeForChanges,
    },
    {
      label: 'Change failure rate',
      value: formatRatio(dora.changeFailureRate),
      tier: tiers.changeFailureRate,
      sample: `${samples.changeFailureRate.failures} failed / ${samples.changeFailureRate.finished} finished`,
      definition: definitions.changeFailureRate,
    },
    {
      label: 'Time to restore',
      value: formatMinutes(dora.timeToRestoreMin.p50),
      tier: tiers.failedDeploymentRecoveryTime,
      sample: `n = ${samples.failedDeploymentRecoveryTime.n}, ${samples.failedDeploymentRecoveryTime.unrecovered} unrecovered`,
      definition: definitions.failedDeploymentRecoveryTime,
    },
  ];
  return (
    <InfoCard
      title={
        <Box display="flex" alignItems="center" style={{ gap: 8 }}>
          DORA figures
          <TierChip tier={dora.tier} />
          <DefinitionTooltip label="the tiers" definition={definitions.tier} />
        </Box>
      }
    >
      <Grid container spacing={2}>
        {figures.map(f => (
          <Grid item xs={12} sm={6} lg={3} key={f.label}>
            <FigureTile figure={f} />
          </Grid>
        ))}
      </Grid>
    </InfoCard>
  );
};
