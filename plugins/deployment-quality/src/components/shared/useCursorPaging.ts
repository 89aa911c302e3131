import { useCallback, useState } from 'react';

/**
 * Keyset paging with Newer/Older: the API only gives the next page's cursor,
 * so the cursors of the pages already seen are kept to step back.
 */
export function useCursorPaging() {
  // The first page has no cursor; the last entry is the current page's.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: cursors[cursors.length - 1],
    hasNewer: cursors.length > 1,
    older: useCallback((next: string) => setCursors(c => [...c, next]), []),
    newer: useCallback(() => setCursors(c => c.slice(0, -1)), []),
    reset: useCallback(() => setCursors([undefined]), []),
  };
}
