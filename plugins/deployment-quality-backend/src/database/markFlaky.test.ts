import { markFlaky } from './TestCases';

type Status = 'passed' | 'failed' | 'skipped';

/** Runs of one test in time order: [build version, attempt, status, retries]. */
function runs(history: Array<[string, string, Status, number?]>) {
  return history.map(([buildVersion, attemptId, status, retries = 0], i) => ({
    run: {
      eventId: `e${i}`,
      attemptId,
      clusterId: 'mira-us-west-2',
      buildVersion,
      suiteType: 'FUNCTIONAL',
      executedAt: i,
      setId: 1,
    },
    outcome: { status, durationMs: 1 },
    failure:
      status === 'failed' || retries > 0
        ? {
            eventId: `e${i}`,
            caseId: 1,
            status:
              status === 'failed' ? ('failed' as const) : ('passed' as const),
            retries,
            signature: null,
            message: null,
          }
        : undefined,
    flaky: null,
  }));
}

const kinds = (list: ReturnType<typeof runs>, flipWindow = 5) => {
  markFlaky(list, flipWindow);
  return list.map(r => r.flaky);
};

describe('markFlaky', () => {
  it('a pass after failed retries within one report is flaky', () => {
    expect(
      kinds(
        runs([
          ['1', 'a', 'passed', 2],
          ['1', 'a', 'passed'],
        ]),
      ),
    ).toEqual(['retry', null]);
  });

  it('a failure with a pass on the same attempt is flaky however far apart', () => {
    const history = runs([
      ['1', 'a', 'failed'],
      ...Array.from({ length: 8 }, (): [string, string, Status] => [
        '1',
        'b',
        'skipped',
      ]),
      ['1', 'a', 'passed'],
    ]);
    expect(kinds(history, 2)[0]).toBe('rerun');
  });

  it('a flip on an unchanged version is flaky within the window of runs only', () => {
    const history: Array<[string, string, Status]> = [
      ['1', 'a', 'passed'],
      ['1', 'b', 'failed'],
      ['1', 'c', 'failed'],
      ['1', 'd', 'failed'],
    ];
    expect(kinds(runs(history), 5)).toEqual([null, 'flip', 'flip', 'flip']);
    // Window 2: only the failure right after the pass.
    expect(kinds(runs(history), 2)).toEqual([null, 'flip', null, null]);
    // Skipped runs don't count as runs between them.
    expect(
      kinds(
        runs([
          ['1', 'a', 'passed'],
          ['1', 'b', 'skipped'],
          ['1', 'c', 'failed'],
        ]),
        2,
      ),
    ).toEqual([null, null, 'flip']);
  });

  it('a stable failure, or a fix in a new version, is not flaky', () => {
    expect(
      kinds(
        runs([
          ['1', 'a', 'passed'],
          ['2', 'b', 'failed', 3],
          ['2', 'c', 'failed'],
          ['3', 'd', 'passed'],
        ]),
      ),
    ).toEqual([null, null, null, null]);
  });
});
