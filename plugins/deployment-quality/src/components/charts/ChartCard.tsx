import { InfoCard } from '@backstage/core-components';
import { Box, Typography } from '@material-ui/core';
import { ReactElement } from 'react';
import { ResponsiveContainer } from 'recharts';
import { DefinitionTooltip } from './DefinitionTooltip';

/**
 * A titled chart. The drawing is an image to screen readers, described by
 * `summary` (the totals a sighted user reads off the chart); `definition`
 * says how the figures are computed.
 */
export const ChartCard = ({
  title,
  summary,
  definition,
  empty,
  children,
}: {
  title: string;
  summary: string;
  definition: string;
  /** Shown instead of the chart when the window has nothing to draw. */
  empty?: string;
  children: ReactElement;
}) => (
  <InfoCard
    title={
      <Box display="flex" alignItems="center">
        {title}
        <DefinitionTooltip
          label={title.toLocaleLowerCase()}
          definition={definition}
        />
      </Box>
    }
  >
    {empty ? (
      <Typography color="textSecondary">{empty}</Typography>
    ) : (
      <div role="img" aria-label={`${title}: ${summary}`}>
        <ResponsiveContainer width="100%" height={260}>
          {children}
        </ResponsiveContainer>
      </div>
    )}
  </InfoCard>
);
