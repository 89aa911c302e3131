import { Knex } from 'knex';

type Row = Record<string, any>;

/**
 * Moves each key's "latest" record (a table keyed by `key`, with the
 * history row's `row_id` and its `time` column) forward to the newest of
 * `rows` — by time, then by row id — unless the stored one is newer, so the
 * result doesn't depend on arrival order or on how events are batched.
 */
export async function advanceLatest(
  tx: Knex.Transaction,
  table: string,
  spec: { key: string[]; time: string },
  rows: Row[],
): Promise<void> {
  const newer = (a: Row, b: Row) =>
    Number(a[spec.time]) > Number(b[spec.time]) ||
    (Number(a[spec.time]) === Number(b[spec.time]) &&
      Number(a.row_id) > Number(b.row_id));
  const newest = new Map<string, Row>();
  for (const r of rows) {
    const key = spec.key.map(c => r[c]).join('\u0000');
    const seen = newest.get(key);
    if (!seen || newer(r, seen)) newest.set(key, r);
  }
  for (const r of newest.values()) {
    const time = Number(r[spec.time]);
    await tx(table)
      .insert(r)
      .onConflict(spec.key)
      .merge()
      .where(q =>
        q
          .where(`${table}.${spec.time}`, '<', time)
          .orWhere(tie =>
            tie
              .where(`${table}.${spec.time}`, time)
              .where(`${table}.row_id`, '<', Number(r.row_id)),
          ),
      );
  }
}

/**
 * One owner's history rows (a cluster's validation runs, a service's
 * scorecards) for its `maxKeys` most recently seen keys (their "latest"
 * records tell which), the last `perKey` rows of each, oldest first.
 */
export async function recentRowsPerKey(
  db: Knex,
  spec: {
    history: string;
    latest: string;
    owner: { column: string; value: string };
    key: string;
    time: string;
    maxKeys: number;
    perKey: number;
  },
): Promise<Map<string, Row[]>> {
  const keys = db(spec.latest)
    .select(spec.key)
    .where(spec.owner.column, spec.owner.value)
    .orderBy(spec.time, 'desc')
    .orderBy(spec.key)
    .limit(spec.maxKeys);
  const ranked = db(spec.history)
    .select(
      '*',
      db.raw(
        `row_number() over (partition by ${spec.key} order by ${spec.time} desc, id desc) as rn`,
      ),
    )
    .where(spec.owner.column, spec.owner.value)
    .whereIn(spec.key, keys);
  const rows: Row[] = await db
    .from(ranked.as('ranked'))
    .where('rn', '<=', spec.perKey)
    .orderBy([
      { column: spec.key, order: 'asc' },
      { column: 'rn', order: 'desc' },
    ]);
  const byKey = new Map<string, Row[]>();
  for (const r of rows) {
    byKey.set(r[spec.key], [...(byKey.get(r[spec.key]) ?? []), r]);
  }
  return byKey;
}
