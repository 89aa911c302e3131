import { InfoCard, Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  Box,
  Chip,
  Grid,
  LinearProgress,
  Typography,
  useTheme,
} from '@material-ui/core';
import { ExternalScorecardsResponse } from '@deployment-quality/plugin-deployment-quality-common';
import { deploymentQualityApiRef } from '../../api/DeploymentQualityApi';
import { AsyncView } from '../shared/AsyncView';
import { RelativeTime } from '../shared/RelativeTime';
import { useAutoRefresh } from '../shared/useAutoRefresh';
import { useEntityRef } from '../shared/useEntityRef';

type Scorecard = ExternalScorecardsResponse['scorecards'][number];

/** The measurements as bars, oldest first, each its percentage high. */
const History = ({ card }: { card: Scorecard }) => {
  const { palette } = useTheme();
  return (
    <Box
      display="flex"
      alignItems="flex-end"
      height={24}
      style={{ gap: 2 }}
      role="img"
      aria-label={`${card.name}: last ${card.history.length} measurements, from ${card.history[0].percent} % to ${card.latest.percent} %`}
    >
      {card.history.map(h => (
        <span
          key={h.measuredAt}
          title={`${h.measuredAt.slice(0, 10)}: ${h.percent} %`}
          style={{
            width: 6,
            height: `${Math.max(h.percent, 4)}%`,
            backgroundColor: palette.primary.main,
            opacity: 0.7,
          }}
        />
      ))}
    </Box>
  );
};

const ScorecardTile = ({ card }: { card: Scorecard }) => {
  const { status } = useTheme().palette;
  const { latest } = card;
  return (
    <Box
      component="section"
      aria-label={`${card.name}: ${latest.score} of ${latest.maxScore}`}
      p={2}
      border={1}
      borderColor="divider"
      borderRadius={4}
      height="100%"
    >
      <Box display="flex" alignItems="baseline" style={{ gap: 8 }}>
        <Typography variant="subtitle2">
          {latest.url ? <Link to={latest.url}>{card.name}</Link> : card.name}
        </Typography>
        <Typography variant="caption" color="textSecondary">
          <RelativeTime iso={latest.measuredAt} />
        </Typography>
      </Box>
      <Typography variant="h5">
        {latest.score} / {latest.maxScore}
      </Typography>
      <LinearProgress
        variant="determinate"
        value={latest.percent}
        aria-label={`${latest.percent} %`}
      />
      <Box mt={1}>
        <History card={card} />
      </Box>
      {latest.checks.length > 0 && (
        <Box mt={1} display="flex" flexWrap="wrap" style={{ gap: 4 }}>
          {latest.checks.map(c => (
            <Chip
              key={c.name}
              size="small"
              label={`${c.passed ? '✓' : '✗'} ${c.name}`}
              style={{
                backgroundColor: c.passed ? status.ok : status.error,
                color: '#fff',
              }}
              {...(c.url
                ? { component: 'a', href: c.url, clickable: true }
                : {})}
            />
          ))}
        </Box>
      )}
    </Box>
  );
};

/**
 * Scorecards other tools sent for the service (Soundcheck, Tech Insights, a
 * scanner), newest per name: beside our own figures, never mixed into them.
 * Nothing is shown until one arrives.
 */
export const ExternalScorecards = () => {
  const api = useApi(deploymentQualityApiRef);
  const entityRef = useEntityRef();
  const state = useAutoRefresh(
    () => api.getEntityExternalScorecards(entityRef),
    [api, entityRef],
  );
  return (
    <AsyncView
      state={state}
      isEmpty={v => v.scorecards.length === 0}
      empty={null}
    >
      {({ scorecards }) => (
        <InfoCard title="Scorecards from other tools">
          <Grid container spacing={2}>
            {scorecards.map(card => (
              <Grid item xs={12} sm={6} lg={4} key={card.name}>
                <ScorecardTile card={card} />
              </Grid>
            ))}
          </Grid>
        </InfoCard>
      )}
    </AsyncView>
  );
};
