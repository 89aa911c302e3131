import { InputError } from '@backstage/errors';

/** Position after the last row of a page: its `started_at` and id. */
export interface AttemptCursor {
  startedAt: number;
  id: string;
}

export function encodeCursor(c: AttemptCursor): string {
  return Buffer.from(JSON.stringify([c.startedAt, c.id])).toString('base64url');
}

export function decodeCursor(cursor: string): AttemptCursor {
  try {
    const [startedAt, id] = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    );
    if (Number.isSafeInteger(startedAt) && typeof id === 'string') {
      return { startedAt, id };
    }
  } catch {
    // fall through to the InputError below
  }
  throw new InputError('Invalid cursor: pass nextCursor from a previous page');
}
