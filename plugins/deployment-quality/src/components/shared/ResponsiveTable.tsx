import { Table, TableColumn, TableProps } from '@backstage/core-components';
import {
  Box,
  Button,
  Paper,
  Typography,
  useMediaQuery,
  useTheme,
} from '@material-ui/core';
import { ReactNode, useState } from 'react';

/**
 * Dense options for a list of `rows`: paged by `pageSize` (or `most` at
 * once) when longer, without search.
 */
export const pagedOptions = (rows: number, pageSize = 10, most = 50) => ({
  paging: rows > pageSize,
  pageSize,
  pageSizeOptions: [pageSize, most],
  search: false,
  padding: 'dense' as const,
});

/** A dotted `field` of a row, as the table reads it. */
function fieldOf(row: object, field?: string): ReactNode {
  if (!field) return null;
  const value = field
    .split('.')
    .reduce<unknown>(
      (v, key) =>
        v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : v,
      row,
    );
  return value === null || value === undefined ? '—' : String(value);
}

/** The title of a column as text, for the card's labels. */
const labelOf = <T extends object>(c: TableColumn<T>) =>
  typeof c.title === 'string' ? c.title : '';

/**
 * Backstage's Table, which on a phone (below the `sm` breakpoint, 600 px)
 * gives way to one card per row: every column as a label and its value,
 * stacked, in the table's order — so nothing is cut off at the right edge.
 * Rows keep the order they are given (the views sort what needs attention
 * first); a paged table shows its page size, then "Show more".
 */
export function ResponsiveTable<T extends object>(props: TableProps<T>) {
  const theme = useTheme();
  const narrow = useMediaQuery(theme.breakpoints.down('xs'), { noSsr: true });
  const pageSize = props.options?.paging
    ? props.options.pageSize ?? 5
    : Infinity;
  const [shown, setShown] = useState(pageSize);
  if (!narrow || !Array.isArray(props.data)) return <Table<T> {...props} />;

  const rows = props.data as T[];
  const columns = props.columns.filter(c => !c.hidden);
  const title = typeof props.title === 'string' ? props.title : undefined;
  return (
    <Box>
      {props.title && (
        <Box px={2} py={1}>
          <Typography variant="h6">{props.title}</Typography>
        </Box>
      )}
      {rows.length === 0 && props.emptyContent}
      <Box
        component="ul"
        aria-label={title}
        p={0}
        m={0}
        style={{ listStyle: 'none' }}
      >
        {rows.slice(0, shown).map((row, i) => (
          <Box component="li" key={i} mb={1}>
            <Paper variant="outlined">
              <Box p={1.5}>
                {columns.map((c, k) => {
                  const value = c.render
                    ? c.render(row as any, 'row')
                    : fieldOf(row, c.field as string | undefined);
                  if (value === null || value === undefined || value === '') {
                    return null;
                  }
                  return (
                    <Box
                      key={k}
                      display="flex"
                      alignItems="baseline"
                      style={{ gap: 8 }}
                      py={0.25}
                    >
                      {labelOf(c) && (
                        <Typography
                          variant="caption"
                          color="textSecondary"
                          style={{ minWidth: 96, flexShrink: 0 }}
                        >
                          {labelOf(c)}
                        </Typography>
                      )}
                      <Box minWidth={0} style={{ overflowWrap: 'anywhere' }}>
                        {value}
                      </Box>
                    </Box>
                  );
                })}
              </Box>
            </Paper>
          </Box>
        ))}
      </Box>
      {rows.length > shown && (
        <Button size="small" onClick={() => setShown(n => n + pageSize)}>
          Show more ({rows.length - shown} left)
        </Button>
      )}
    </Box>
  );
}
