import {
  Attempt,
  DEPLOYED_STATUSES,
  GateCheckResponse,
  Gates,
} from '@internal/plugin-deployment-quality-common';
import { GatePolicy } from '../config';

/** Decides whether an attempt passed its gates under the configured policy. */
export function evaluateGates(
  attempt: Attempt,
  gates: Gates,
  policy: GatePolicy,
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
      const passRate =
        g.total > 0 ? Math.round((g.passed / g.total) * 10000) / 100 : null;
      const ok = passRate === null ? threshold === 0 : passRate >= threshold;
      if (!ok) {
        reasons.push(
          passRate === null
            ? `${suite} ran no tests (threshold ${threshold} %)`
            : `${suite} pass rate ${passRate} % is below ${threshold} %`,
        );
      }
      return { suite, ...g, passRate, threshold, ok };
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
