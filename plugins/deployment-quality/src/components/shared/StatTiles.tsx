import { Box, Grid, Typography } from '@material-ui/core';
import { ReactNode } from 'react';

export type Stat = { label: string; value: ReactNode };

/** A row of labelled counts, read by screen readers as a list. */
export const StatTiles = ({
  stats,
  label,
}: {
  stats: Stat[];
  label: string;
}) => (
  <Grid
    container
    spacing={2}
    component="ul"
    aria-label={label}
    style={{ listStyle: 'none', padding: 0 }}
  >
    {stats.map(s => (
      <Grid item xs={6} sm={4} md={2} key={s.label} component="li">
        <Box p={2} border={1} borderColor="divider" borderRadius={4}>
          <Typography variant="caption" color="textSecondary">
            {s.label}
          </Typography>
          <Typography variant="h5">{s.value}</Typography>
        </Box>
      </Grid>
    ))}
  </Grid>
);
