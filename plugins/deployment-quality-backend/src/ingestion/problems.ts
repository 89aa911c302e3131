import { ValidationProblem } from '@deployment-quality/plugin-deployment-quality-common';

/**
 * Problems a 400 answer lists. A sender fixes its body from the first few;
 * one problem per element of a large body (a 1 MiB CTRF report of invalid
 * tests holds 350,000) would make the answer tens of MB.
 */
export const MAX_LISTED_PROBLEMS = 20;

/** The first problems, and how many there were when some are left out. */
export interface ProblemSummary {
  problems: ValidationProblem[];
  /** Every problem found; present only when `problems` lists fewer. */
  problemCount?: number;
}

/**
 * Collects problems in bounded memory: keeps the first MAX_LISTED_PROBLEMS
 * and counts the rest.
 */
export class ProblemList {
  private readonly listed: ValidationProblem[] = [];
  private count = 0;

  add(problem: ValidationProblem): void {
    this.count += 1;
    if (this.listed.length < MAX_LISTED_PROBLEMS) this.listed.push(problem);
  }

  get size(): number {
    return this.count;
  }

  summary(): ProblemSummary {
    return summarizeProblems(this.listed, this.count);
  }
}

/** The first MAX_LISTED_PROBLEMS of `count` problems (default: all given). */
export function summarizeProblems(
  problems: ValidationProblem[],
  count = problems.length,
): ProblemSummary {
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
  return count > listed.length
    ? { problems: listed, problemCount: count }
    : { problems: listed };
}

/** `path: message; …` of the listed problems, then how many more there were. */
export function describeProblems({
  problems,
  problemCount = problems.length,
}: ProblemSummary): string {
  const listed = problems.map(p => `${p.path}: ${p.message}`).join('; ');
  const more = problemCount - problems.length;
  return more > 0 ? `${listed}; and ${more} more` : listed;
}
