import { testResultPayloadSchema } from '@deployment-quality/plugin-deployment-quality-common';
import { z } from 'zod';

/** Suites no rule types, in a report that names no suite type. */
export const DEFAULT_SUITE_TYPE = 'FUNCTIONAL';

/**
 * One entry of `ingestion.testReports.suites`: suites of that exact name,
 * or whose name matches the glob `pattern`, are of `suiteType`.
 */
export type SuiteTypeRule = { suiteType: string } & (
  | { name: string }
  | { pattern: string }
);

/**
 * A suite type as configured or asked for: any case, upper-cased, then held
 * to the contract's rule for `suiteType`.
 */
export const suiteTypeSchema = z
  .string()
  .transform(s => s.toUpperCase())
  .pipe(testResultPayloadSchema.shape.suiteType);

/**
 * Whether `text` as a whole matches the glob `pattern`: `*` is any run of
 * characters (`.` and `/` included, so `com.example.*` takes subpackages),
 * `?` any one, every other character itself. Walked with one backtrack
 * point, so a long suite name costs at most pattern × name steps; a
 * regular expression built from the glob could backtrack polynomially.
 */
export function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (pattern[p] === '?' || pattern[p] === text[t]) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * The suite type of a suite name: that of the first rule naming it or
 * matching it, else `fallback` (the report's `suiteType`, else the
 * configured default). Never the name itself: Surefire and jest-junit write
 * a suite per class or file, and each would become a pass-rate series.
 */
export function suiteTyper(
  rules: SuiteTypeRule[],
  fallback: string,
): (suiteName: string) => string {
  return suiteName =>
    rules.find(rule =>
      'name' in rule
        ? rule.name === suiteName
        : globMatches(rule.pattern, suiteName),
    )?.suiteType ?? fallback;
}
