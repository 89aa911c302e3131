import { ScorecardResponse } from '@deployment-quality/plugin-deployment-quality-common';

const COLUMNS: Array<
  [string, (s: ScorecardResponse['services'][number]) => unknown]
> = [
  ['service_id', s => s.serviceId],
  ['entity_ref', s => s.entityRef],
  ['score', s => s.score],
  ['grade', s => s.grade],
  ['deploy_success_rate', s => s.metrics.deploySuccessRate],
  ['gate_pass_rate', s => s.metrics.gatePassRate],
  ['change_failure_rate', s => s.metrics.changeFailureRate],
  ['lead_time_p50_min', s => s.metrics.leadTimeP50Min],
  ['time_to_restore_p50_min', s => s.metrics.timeToRestoreP50Min],
  ['deploys', s => s.metrics.deploys],
  ['finished', s => s.metrics.finished],
  ['test_runs', s => s.metrics.testRuns],
  ['recoveries', s => s.metrics.recoveries],
];

/**
 * RFC 4180 CSV. A cell that a spreadsheet would run as a formula (leading
 * = + - @) is prefixed with an apostrophe: service ids come from CI events.
 */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function scorecardCsv(scorecard: ScorecardResponse): string {
  const lines = [COLUMNS.map(([name]) => name).join(',')];
  for (const service of scorecard.services) {
    lines.push(COLUMNS.map(([, get]) => cell(get(service))).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
