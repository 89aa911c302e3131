import { DEFAULT_SCORECARD_POLICY } from '@deployment-quality/plugin-deployment-quality-common';
import { ScorecardInputs, emptyInputs, scoreService } from './scoring';

const inputs = (overrides: Partial<ScorecardInputs> = {}): ScorecardInputs => ({
  ...emptyInputs(),
  ...overrides,
});

describe('scoreService', () => {
  const policy = DEFAULT_SCORECARD_POLICY;

  it('scores 100 at every good threshold and 0 at every bad one, in both directions', () => {
    const t = policy.thresholds;
    const best = scoreService(
      inputs({
        deploySuccessRate: t.deploySuccessRate.good,
        gatePassRate: t.gatePassRate.good,
        changeFailureRate: t.changeFailureRate.good,
        leadTimeP50Min: t.leadTime.good,
        timeToRestoreP50Min: t.timeToRestore.good,
      }),
      policy,
    );
    expect(best).toMatchObject({ score: 100, grade: 'A' });
    const worst = scoreService(
      inputs({
        deploySuccessRate: 0,
        gatePassRate: 0,
        changeFailureRate: 1,
        leadTimeP50Min: 1e9,
        timeToRestoreP50Min: 1e9,
      }),
      policy,
    );
    expect(worst).toMatchObject({ score: 0, grade: 'F' });
  });

  it('interpolates linearly and leaves metrics without data out of the weighted mean', () => {
    const result = scoreService(
      inputs({
        // Halfway between bad (0.3) and good (0.05): 50.
        changeFailureRate: 0.175,
        // At good: 100.
        deploySuccessRate: 0.98,
      }),
      policy,
    );
    expect(result.subScores).toEqual({
      deploySuccessRate: 100,
      gatePassRate: null,
      changeFailureRate: 50,
      leadTime: null,
      timeToRestore: null,
    });
    // (100 × 0.3 + 50 × 0.2) / (0.3 + 0.2) = 80
    expect(result).toMatchObject({ score: 80, grade: 'B' });
  });

  it('gives no score and no grade without any data', () => {
    expect(scoreService(inputs(), policy)).toMatchObject({
      score: null,
      grade: null,
    });
  });
});
