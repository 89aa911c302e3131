import {
  Attempt,
  DEPLOYED_STATUSES,
  GateCheckResponse,
  Gates,
} from '@deployment-quality/plugin-deployment-quality-common';
import { GatePolicy } from '../config';

/**
 * Decides whether an attempt passed its gates under the configured policy.
 * A suite's failed tests that are quarantined (`quarantined`, by
 * lower-case suite) leave its pass rate: they count neither as run nor as
 * failed, and the answer names how many there were.
 */
export function evaluateGates(
  attempt: Attempt,
  gates: Gates,
  policy: GatePolicy,
  quarantined: Record<string, number> = {},
): GateCheckResponse {
  const reasons: string[] = [];
  if (!DEPLOYED_STATUSES.includes(attempt.status)) {
    reasons.push(`the deployment is ${attempt.status}, not SUCCESS or LIVE`);
  }
  const suites = Object.entries(gates)
    .map(([name, g]) => {
      const suite = name.toUpperCase();
      const threshold =
        policy.minPassRate[suite] ?? policy.minPassRate.default ?? 100;
      const set = Math.min(quarantined[name] ?? 0, g.failed);
      const total = g.total - set;
      const passRate =
        total > 0 ? Math.round((g.passed / total) * 10000) / 100 : null;
      const ok = passRate === null ? threshold === 0 : passRate >= threshold;
      if (!ok) {
        reasons.push(
          passRate === null
            ? `${suite} ran no tests (threshold ${threshold} %)`
            : `${suite} pass rate ${passRate} % is below ${threshold} %`,
        );
      }
      return {
        suite,
        ...g,
        passRate,
        threshold,
        ok,
        quarantined: set,
      };
    })
    .sort((a, b) => a.suite.localeCompare(b.suite));
  const ran = new Set(suites.map(s => s.suite));
  const missing = policy.requiredSuites.filter(s => !ran.has(s));
  for (const suite of missing)
    reasons.push(`required suite ${suite} has not run`);
  return {
    serviceId: attempt.serviceId,
    buildVersion: attempt.buildVersion,
    clusterId: attempt.clusterId,
    attemptId: attempt.id,
    attemptStatus: attempt.status,
    passed: reasons.length === 0,
    suites,
    missing,
    reasons,
  };
}
