import { Box, Button } from '@material-ui/core';

/** Newer/Older buttons for a list paged with {@link useCursorPaging}. */
export const PagingControls = ({
  hasNewer,
  nextCursor,
  loading,
  onNewer,
  onOlder,
}: {
  hasNewer: boolean;
  nextCursor?: string;
  loading: boolean;
  onNewer: () => void;
  onOlder: (cursor: string) => void;
}) => (
  <Box display="flex" justifyContent="flex-end" style={{ gap: 8 }} mt={1}>
    <Button disabled={!hasNewer || loading} onClick={onNewer}>
      Newer
    </Button>
    <Button
      disabled={!nextCursor || loading}
      onClick={() => nextCursor && onOlder(nextCursor)}
    >
      Older
    </Button>
  </Box>
);
