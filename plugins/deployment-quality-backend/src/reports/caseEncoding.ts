import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { CaseStatus } from './suites';

/**
 * The compact forms of a run's test cases. A report of 3,000 tests stored
 * a row per test would make a billion rows at 200 services × 20 reports a
 * day × 90 days. Instead the set of tests a run executed is stored once
 * (runs of a service mostly execute the same set) and each run keeps one
 * small blob: per test, in the set's order, its duration and status.
 */

export const STATUS_CODES: readonly CaseStatus[] = [
  'passed',
  'failed',
  'skipped',
  'other',
];
const CODE = new Map(STATUS_CODES.map((s, i) => [s, i]));

/** Durations are capped at about 12 days: a varint then stays ≤ 6 bytes. */
const MAX_DURATION_MS = 2 ** 30 - 1;

function writeVarint(out: number[], value: number) {
  let v = value;
  while (v >= 0x80) {
    out.push(v % 0x80 | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function* readVarints(bytes: Uint8Array): Generator<number> {
  let value = 0;
  let scale = 1;
  for (const byte of bytes) {
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      yield value;
      value = 0;
      scale = 1;
    } else {
      scale *= 0x80;
    }
  }
}

/** Case ids in set order: zigzag deltas, deflated. */
export function encodeIds(ids: number[]): Buffer {
  const out: number[] = [];
  let previous = 0;
  for (const id of ids) {
    const delta = id - previous;
    writeVarint(out, delta >= 0 ? delta * 2 : -delta * 2 - 1);
    previous = id;
  }
  return deflateRawSync(Uint8Array.from(out));
}

export function decodeIds(blob: Uint8Array): number[] {
  const ids: number[] = [];
  let previous = 0;
  for (const zigzag of readVarints(inflateRawSync(blob))) {
    previous += zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
    ids.push(previous);
  }
  return ids;
}

export interface CaseOutcome {
  status: CaseStatus;
  durationMs: number;
}

/** Outcomes in set order: one varint each (duration × 4 + status), deflated. */
export function encodeOutcomes(outcomes: CaseOutcome[]): Buffer {
  const out: number[] = [];
  for (const o of outcomes) {
    const ms = Math.min(MAX_DURATION_MS, Math.max(0, Math.round(o.durationMs)));
    writeVarint(out, ms * 4 + CODE.get(o.status)!);
  }
  return deflateRawSync(Uint8Array.from(out));
}

/**
 * Outcomes in set order as two typed arrays (status codes, indexes into
 * STATUS_CODES; durations): a flaky-test read decodes hundreds of runs of
 * thousands of tests, and an object per outcome kept the garbage collector
 * busy for hundreds of milliseconds.
 */
export function decodeOutcomes(blob: Uint8Array): {
  statuses: Uint8Array;
  durations: Float64Array;
} {
  const values = [...readVarints(inflateRawSync(blob))];
  const statuses = new Uint8Array(values.length);
  const durations = new Float64Array(values.length);
  values.forEach((v, i) => {
    statuses[i] = v % 4;
    durations[i] = Math.floor(v / 4);
  });
  return { statuses, durations };
}
