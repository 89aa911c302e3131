import { ProblemList } from '../ingestion/problems';
import {
  CaseResult,
  MAX_RETRIES,
  ParsedReport,
  SuiteResult,
  storable,
} from './suites';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * CTRF statuses → our counts; `pending` tests did not run, like skipped ones.
 * A Map: a status such as `constructor` must not find Object's prototype.
 */
const COUNTS = new Map<
  string,
  keyof Pick<SuiteResult, 'passed' | 'failed' | 'skipped' | 'other'>
>([
  ['passed', 'passed'],
  ['failed', 'failed'],
  ['skipped', 'skipped'],
  ['pending', 'skipped'],
  ['other', 'other'],
]);

const text = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * A case: named by its whole suite path (else its file) and name; its
 * retries are CTRF's `retries`, else its `retryAttempts` that failed.
 */
function caseOf(
  test: Json,
  status: CaseResult['status'],
  durationMs: number,
): CaseResult {
  const path = Array.isArray(test.suite)
    ? test.suite.map(text).join(' › ')
    : text(test.suite);
  const attempts = Array.isArray(test.retryAttempts) ? test.retryAttempts : [];
  const retried = Number(test.retries);
  const retries = Math.min(
    MAX_RETRIES,
    Number.isInteger(retried) && retried > 0
      ? retried
      : attempts.filter(a => isObject(a) && a.status === 'failed').length,
  );
  const lastFailed = [...attempts]
    .reverse()
    .find(a => isObject(a) && a.status === 'failed') as Json | undefined;
  const message =
    text(test.message) ||
    text(test.trace).split('\n')[0] ||
    text(lastFailed?.message);
  return {
    className: storable(path || text(test.filePath)),
    name: storable(text(test.name)),
    status,
    durationMs: Math.round(durationMs),
    retries,
    ...(message ? { message: storable(message) } : {}),
  };
}

/**
 * A CTRF report (`{ results: { tool, summary, tests } }`). Tests are grouped
 * into suites by the first element of their `suite` path (a string in older
 * reports); tests without one form a suite named after the tool. Durations
 * are milliseconds; the suites ran by `summary.stop`.
 */
export function parseCtrf(body: unknown): ParsedReport {
  const results = isObject(body) ? body.results : undefined;
  const tests = isObject(results) ? results.tests : undefined;
  if (!isObject(results) || !Array.isArray(tests)) {
    return {
      ok: false,
      problems: [
        { path: 'results.tests', message: 'is required (a CTRF report)' },
      ],
    };
  }
  const tool =
    isObject(results.tool) && typeof results.tool.name === 'string'
      ? results.tool.name
      : 'ctrf';
  const stop = isObject(results.summary) ? Number(results.summary.stop) : NaN;
  const executedAt = Number.isFinite(stop)
    ? new Date(stop).toISOString()
    : undefined;

  const suites = new Map<string, SuiteResult>();
  const problems = new ProblemList();
  const statusProblem = `must be one of ${[...COUNTS.keys()].join(', ')}`;
  tests.forEach((test, i) => {
    const status = isObject(test) ? COUNTS.get(String(test.status)) : undefined;
    if (!isObject(test) || !status) {
      problems.add({
        path: `results.tests[${i}].status`,
        message: statusProblem,
      });
      return;
    }
    const path = Array.isArray(test.suite) ? test.suite[0] : test.suite;
    const name = typeof path === 'string' && path ? path : tool;
    const suite = suites.get(name) ?? {
      name,
      passed: 0,
      failed: 0,
      skipped: 0,
      other: 0,
      durationSec: 0,
      ...(executedAt ? { executedAt } : {}),
      cases: [],
    };
    suite[status] += 1;
    const ms = Number(test.duration);
    const durationMs = Number.isFinite(ms) && ms > 0 ? ms : 0;
    suite.durationSec += durationMs / 1000;
    suite.cases!.push(caseOf(test, status, durationMs));
    suites.set(name, suite);
  });
  return problems.size
    ? { ok: false, ...problems.summary() }
    : { ok: true, suites: [...suites.values()] };
}
