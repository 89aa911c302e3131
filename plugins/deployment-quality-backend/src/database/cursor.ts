import { InputError } from '@backstage/errors';
import { Knex } from 'knex';

/**
 * Position after the last row of a page, for lists ordered newest first by a
 * time column and then by id: that row's time (epoch ms) and id.
 */
export interface KeysetCursor {
  at: number;
  id: string;
}

export function encodeCursor(c: KeysetCursor): string {
  return Buffer.from(JSON.stringify([c.at, c.id])).toString('base64url');
}

export function decodeCursor(cursor: string): KeysetCursor {
  try {
    const [at, id] = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    );
    if (Number.isSafeInteger(at) && typeof id === 'string') {
      return { at, id };
    }
  } catch {
    // fall through to the InputError below
  }
  throw new InputError(
    "Invalid query parameter 'cursor': pass nextCursor from a previous page",
  );
}

/**
 * One keyset page, newest first by (timeColumn, idColumn): rows after the
 * cursor, plus the cursor of the next page when there is one. New rows
 * arriving between pages can't shift it: no row is repeated or skipped.
 */
export async function keysetPage(
  query: Knex.QueryBuilder,
  options: {
    timeColumn: string;
    idColumn: string;
    limit: number;
    cursor?: string;
  },
): Promise<{ rows: Record<string, any>[]; nextCursor?: string }> {
  const { timeColumn, idColumn, limit } = options;
  const after = options.cursor ? decodeCursor(options.cursor) : undefined;
  if (after) {
    query.where(b =>
      b
        .where(timeColumn, '<', after.at)
        .orWhere(b2 =>
          b2.where(timeColumn, '=', after.at).where(idColumn, '<', after.id),
        ),
    );
  }
  const rows = await query
    .orderBy([
      { column: timeColumn, order: 'desc' },
      { column: idColumn, order: 'desc' },
    ])
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page,
    ...(rows.length > limit && last
      ? {
          nextCursor: encodeCursor({
            at: Number(last[timeColumn]),
            id: last[idColumn],
          }),
        }
      : {}),
  };
}
