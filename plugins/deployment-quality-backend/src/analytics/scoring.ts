import {
  SCORECARD_METRICS,
  ScorecardEntry,
  ScorecardMetric,
  ScorecardPolicy,
} from '@deployment-quality/plugin-deployment-quality-common';

/** The measured inputs of one service. */
export type ScorecardInputs = ScorecardEntry['metrics'];

/** Inputs of a service with no data in the window. */
export function emptyInputs(): ScorecardInputs {
  return {
    deploySuccessRate: null,
    gatePassRate: null,
    changeFailureRate: null,
    leadTimeP50Min: null,
    failedDeploymentRecoveryTimeP50Min: null,
    timeToRestoreP50Min: null,
    deploys: 0,
    finished: 0,
    testRuns: 0,
    recoveries: 0,
  };
}

const VALUE_OF: Record<ScorecardMetric, (m: ScorecardInputs) => number | null> =
  {
    deploySuccessRate: m => m.deploySuccessRate,
    gatePassRate: m => m.gatePassRate,
    changeFailureRate: m => m.changeFailureRate,
    leadTime: m => m.leadTimeP50Min,
    timeToRestore: m => m.timeToRestoreP50Min,
  };

/** 100 at `good`, 0 at `bad`, linear in between, either direction. */
function subScore(value: number, t: { good: number; bad: number }): number {
  if (t.good === t.bad) return value === t.good ? 100 : 0;
  const x = (value - t.bad) / (t.good - t.bad);
  return Math.round(Math.min(1, Math.max(0, x)) * 10000) / 100;
}

/** The score, grade and sub-scores of one service under the policy. */
export function scoreService(
  inputs: ScorecardInputs,
  policy: ScorecardPolicy,
): Pick<ScorecardEntry, 'score' | 'grade' | 'subScores'> {
  const subScores = {} as Record<ScorecardMetric, number | null>;
  let weighted = 0;
  let weights = 0;
  for (const metric of SCORECARD_METRICS) {
    const value = VALUE_OF[metric](inputs);
    const weight = policy.weights[metric];
    if (value === null || weight <= 0) {
      subScores[metric] =
        value === null ? null : subScore(value, policy.thresholds[metric]);
      continue;
    }
    const s = subScore(value, policy.thresholds[metric]);
    subScores[metric] = s;
    weighted += s * weight;
    weights += weight;
  }
  if (weights === 0) return { score: null, grade: null, subScores };
  const score = Math.round((weighted / weights) * 100) / 100;
  const grade = policy.grades.find(g => score >= g.min)?.grade ?? 'F';
  return { score, grade, subScores };
}
