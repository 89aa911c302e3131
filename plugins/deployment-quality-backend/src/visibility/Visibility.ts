import { Knex } from 'knex';

/**
 * What a caller may see: every service, or all but the members of a stored
 * set of hidden services (dq_hidden_services). A set is shared by every
 * caller with the same access, so queries filter with a constant-size
 * anti-join, never with a list of ids.
 */
export type Visibility =
  | { readonly all: true }
  | { readonly all: false; readonly hiddenSet: string };

export const SEES_ALL: Visibility = { all: true };

/**
 * A `modify` callback leaving out the rows whose `column` (qualified, e.g.
 * `dq_attempts.service_id`) names a service hidden from the caller.
 */
export function onlyVisible(
  db: Knex,
  visibility: Visibility | undefined,
  column: string,
): (q: Knex.QueryBuilder) => void {
  return q => {
    if (!visibility || visibility.all) return;
    q.whereNotExists(
      db('dq_hidden_services as hidden')
        .select(db.raw('1'))
        .where('hidden.set_key', visibility.hiddenSet)
        .where('hidden.service_id', db.ref(column)),
    );
  };
}

/** The cache key part of a visibility. */
export const visibilityKey = (visibility: Visibility | undefined) =>
  !visibility || visibility.all ? '*' : visibility.hiddenSet;
