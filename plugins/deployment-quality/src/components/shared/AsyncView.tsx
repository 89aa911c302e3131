import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { Box, Button } from '@material-ui/core';
import { ReactNode } from 'react';
import { AsyncState } from './useAutoRefresh';

/** An error panel with a button that loads again. */
export const ErrorWithRetry = ({
  error,
  retry,
}: {
  error: Error;
  retry: () => void;
}) => (
  <Box>
    <ResponseErrorPanel error={error} />
    <Box mt={1}>
      <Button variant="outlined" onClick={retry}>
        Retry
      </Button>
    </Box>
  </Box>
);

/**
 * The loading, error and empty states every view shares, so each view only
 * renders its data. Progress shows only until there is an answer: a refresh
 * keeps the previous answer on screen.
 */
export function AsyncView<T>({
  state,
  isEmpty,
  empty,
  children,
}: {
  state: AsyncState<T>;
  isEmpty?: (value: T) => boolean;
  empty?: ReactNode;
  children: (value: T) => ReactNode;
}) {
  const { value, loading, error, retry } = state;
  // A retry after an error shows progress, not the stale error.
  if (loading && (value === undefined || error)) return <Progress />;
  if (error) return <ErrorWithRetry error={error} retry={retry} />;
  if (value === undefined) return null;
  if (isEmpty?.(value)) return <>{empty}</>;
  return <>{children(value)}</>;
}
