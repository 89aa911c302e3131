import {
  ExternalScore,
  ExternalScorecardsResponse,
  ScorecardPayload,
} from '@deployment-quality/plugin-deployment-quality-common';
import { Knex } from 'knex';
import { INSERT_ROWS, chunks } from './chunks';
import { advanceLatest, recentRowsPerKey } from './latestRows';
import { bumpVersion, readVersion } from './versions';

type Row = Record<string, any>;

/** Names one service shows: the most recently measured. */
export const MAX_EXTERNAL_NAMES = 20;
/** Measurements of each name in its history. */
export const EXTERNAL_HISTORY = 30;

/** Moved by every write of scorecards: the fleet scorecard's cache keys on it. */
const EXTERNAL_GENERATION = 'external-scorecards-generation';

/** A received scorecard: `measuredAt` is always set. */
export type ReceivedScorecard = ScorecardPayload & { measuredAt: string };

/**
 * Stores scorecards other tools sent (each event once: the caller's event
 * log tells which are new), and moves each (service, name)'s newest forward.
 */
export async function writeExternalScorecards(
  tx: Knex.Transaction,
  events: Array<{ eventId: string; payload: ReceivedScorecard }>,
): Promise<void> {
  if (events.length === 0) return;
  await bumpVersion(tx, EXTERNAL_GENERATION);
  const inserted: Row[] = [];
  for (const chunk of chunks(events, INSERT_ROWS)) {
    inserted.push(
      ...(await tx('dq_external_scorecards')
        .insert(
          chunk.map(({ eventId, payload: p }) => ({
            event_id: eventId,
            service_id: p.serviceId,
            name: p.name,
            score: p.score,
            max_score: p.maxScore,
            measured_at: Date.parse(p.measuredAt),
            url: p.url ?? null,
            checks: p.checks ? JSON.stringify(p.checks) : null,
          })),
        )
        .returning([
          'id',
          'service_id',
          'name',
          'measured_at',
          'score',
          'max_score',
        ])),
    );
  }
  await advanceLatest(
    tx,
    'dq_external_scorecard_latest',
    { key: ['service_id', 'name'], time: 'measured_at' },
    inserted.map(r => ({
      service_id: r.service_id,
      name: r.name,
      row_id: r.id,
      measured_at: r.measured_at,
      score: r.score,
      max_score: r.max_score,
    })),
  );
}

const percentOf = (score: number, max: number) =>
  Math.round((score / max) * 1000) / 10;

function scoreOf(r: Row): ExternalScore {
  const score = Number(r.score);
  const maxScore = Number(r.max_score);
  return {
    name: r.name,
    score,
    maxScore,
    percent: percentOf(score, maxScore),
    measuredAt: new Date(Number(r.measured_at)).toISOString(),
  };
}

/** Reads of the scorecards other tools sent. */
export class ExternalScorecards {
  constructor(private readonly db: Knex) {}

  generation(): Promise<number> {
    return readVersion(this.db, EXTERNAL_GENERATION);
  }

  /**
   * One service's scorecards: the MAX_EXTERNAL_NAMES most recently measured
   * names, each with its newest measurement (checks and link included) and
   * its last EXTERNAL_HISTORY measurements, oldest first.
   */
  async forService(serviceId: string): Promise<ExternalScorecardsResponse> {
    const byName = await recentRowsPerKey(this.db, {
      history: 'dq_external_scorecards',
      latest: 'dq_external_scorecard_latest',
      owner: { column: 'service_id', value: serviceId },
      key: 'name',
      time: 'measured_at',
      maxKeys: MAX_EXTERNAL_NAMES,
      perKey: EXTERNAL_HISTORY,
    });
    return {
      scorecards: [...byName.values()]
        .map(history => {
          const newest = history[history.length - 1];
          return {
            name: newest.name,
            latest: {
              ...scoreOf(newest),
              ...(newest.url ? { url: newest.url } : {}),
              checks: newest.checks ? JSON.parse(newest.checks) : [],
            },
            history: history.map(r => ({
              measuredAt: scoreOf(r).measuredAt,
              percent: percentOf(Number(r.score), Number(r.max_score)),
            })),
          };
        })
        .sort(
          (a, b) =>
            b.latest.measuredAt.localeCompare(a.latest.measuredAt) ||
            (a.name < b.name ? -1 : Number(a.name > b.name)),
        ),
    };
  }

  /**
   * The newest score of each name for these services (a scorecard's rows),
   * at most MAX_EXTERNAL_NAMES per service, most recent first. For a whole
   * fleet's rows it reads the table of newest scores once rather than
   * thousands of ids in chunks: that table has a row per service and name.
   */
  async latestFor(serviceIds: string[]): Promise<Map<string, ExternalScore[]>> {
    const order = [
      { column: 'service_id' },
      { column: 'measured_at', order: 'desc' },
      { column: 'name' },
    ];
    const wanted = new Set(serviceIds);
    const rows: Row[] = [];
    if (serviceIds.length > 500) {
      rows.push(
        ...(await this.db('dq_external_scorecard_latest').orderBy(order)),
      );
    } else if (serviceIds.length > 0) {
      rows.push(
        ...(await this.db('dq_external_scorecard_latest')
          .whereIn('service_id', serviceIds)
          .orderBy(order)),
      );
    }
    const out = new Map<string, ExternalScore[]>();
    for (const r of rows) {
      if (!wanted.has(r.service_id)) continue;
      const list = out.get(r.service_id) ?? [];
      if (list.length < MAX_EXTERNAL_NAMES) list.push(scoreOf(r));
      out.set(r.service_id, list);
    }
    return out;
  }
}

/**
 * Retention's "kept" filter: a measurement goes only when a newer one of
 * its (service, name) exists, so each name's newest stays whatever its age.
 */
export const latestScorecardsKept = (db: Knex) => (q: Knex.QueryBuilder) =>
  q.whereNotExists(
    db('dq_external_scorecard_latest as l')
      .select(db.raw('1'))
      .where('l.row_id', db.ref('dq_external_scorecards.id')),
  );
