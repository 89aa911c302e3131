import { DEFAULT_SCORECARD_POLICY } from '@deployment-quality/plugin-deployment-quality-common';
import { scorecardCsv } from './csv';

describe('scorecardCsv', () => {
  it('writes one row per service, quoting and defusing what needs it', () => {
    const csv = scorecardCsv({
      window: {
        from: '2026-01-01T00:00:00.000Z',
        to: '2026-02-01T00:00:00.000Z',
      },
      policy: DEFAULT_SCORECARD_POLICY,
      services: [
        {
          serviceId: '=cmd',
          entityRef: 'component:default/a,"b"',
          score: 81.5,
          grade: 'B',
          subScores: {
            deploySuccessRate: 100,
            gatePassRate: null,
            changeFailureRate: 50,
            leadTime: null,
            timeToRestore: null,
          },
          metrics: {
            deploySuccessRate: 0.98,
            gatePassRate: null,
            changeFailureRate: 0.175,
            leadTimeP50Min: null,
            failedDeploymentRecoveryTimeP50Min: null,
            timeToRestoreP50Min: null,
            deploys: 49,
            finished: 50,
            testRuns: 0,
            recoveries: 0,
          },
          external: [],
        },
      ],
    });
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(
      'service_id,entity_ref,score,grade,deploy_success_rate,gate_pass_rate,change_failure_rate,lead_time_p50_min,time_to_restore_p50_min,deploys,finished,test_runs,recoveries',
    );
    expect(lines[1]).toBe(
      `'=cmd,"component:default/a,""b""",81.5,B,0.98,,0.175,,,49,50,0,0`,
    );
    expect(lines[2]).toBe('');
  });
});
