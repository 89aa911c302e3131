import { EventEnvelope } from '@deployment-quality/plugin-deployment-quality-common';
import { IngestOutcome } from './DeploymentQualityStore';

type Write = (events: EventEnvelope[]) => Promise<IngestOutcome[]>;

/** The error's code: PostgreSQL's SQLSTATE, better-sqlite3's SQLITE_…, Node's E…. */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether the database refused a value of the write, so the same write
 * without the event holding it can pass: PostgreSQL's SQLSTATE classes 22
 * (data exception), 23 (integrity constraint), 54 (a program limit, such as
 * an index row too long) and P0 (raised by a trigger or function), and
 * SQLite's equivalents. Anything else (connection refused or reset, a pool
 * timeout, shutdown, disk full, read-only, an unknown error) is the
 * database's failure, which the events can't cause or cure.
 */
export function refusesValue(error: unknown): boolean {
  const code = codeOf(error) ?? '';
  return (
    /^(22|23|54|P0)[0-9A-Z]{3}$/.test(code) ||
    /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/.test(code)
  );
}

/**
 * Writes the events in one transaction. When the database refuses a value of
 * one, the write is split in halves and each half written the same way,
 * until each refused event stands alone: it fails with an outcome saying so,
 * and the others are stored. The happy path costs nothing more; one refused
 * event among n costs about 2·log2(n) more transactions (19 for 500).
 *
 * Any other error rejects the whole write at once, however far the splitting
 * got: an unreachable database fails every half alike, so it costs one
 * transaction, and the sender retries the whole request. Halves already
 * committed are then duplicates on the retry; a failed transaction was rolled
 * back whole, so no event is ever written twice.
 */
export async function isolateRefused(
  write: Write,
  events: EventEnvelope[],
): Promise<IngestOutcome[]> {
  try {
    return await write(events);
  } catch (error) {
    if (!refusesValue(error)) throw error;
    if (events.length < 2) {
      const reason = `The database could not store this event (${codeOf(
        error,
      )})`;
      return events.map(({ eventId }) => ({
        eventId,
        duplicate: false,
        failed: { reason, error },
      }));
    }
    // One half after the other, in order, as they were to be written.
    const half = Math.ceil(events.length / 2);
    const head = await isolateRefused(write, events.slice(0, half));
    const tail = await isolateRefused(write, events.slice(half));
    return [...head, ...tail];
  }
}
