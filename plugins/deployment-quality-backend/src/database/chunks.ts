/** Splits a list into consecutive slices of at most `size`, to bound statements. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(items.slice(i, i + size));
  return out;
}

/**
 * Rows per multi-row insert, whatever the batch (a source delivery or a
 * group commit may bring thousands). knex writes one on SQLite as a
 * compound SELECT of a row each, and SQLite takes at most 500; 500 rows of
 * the widest table (dq_test_runs, 14 columns) bind 7,000 values, well under
 * SQLite's 32,766 and PostgreSQL's 65,535.
 */
export const INSERT_ROWS = 500;
