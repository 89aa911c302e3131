import { Box, useTheme } from '@material-ui/core';
import { TestRunOutcome } from '@deployment-quality/plugin-deployment-quality-common';

const LABEL: Record<TestRunOutcome['status'], string> = {
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
  other: 'other',
};

/** What a run of a test was, in words: for the tooltip and screen readers. */
export const describeOutcome = (o: TestRunOutcome) =>
  [
    LABEL[o.status],
    o.retries
      ? `after ${o.retries} failed ${o.retries > 1 ? 'retries' : 'retry'}`
      : '',
    o.flaky ? `(flaky: ${o.flaky})` : '',
  ]
    .filter(Boolean)
    .join(' ');

/**
 * A test's runs as a strip, oldest on the left: green passed, red failed,
 * grey skipped; a flaky run is amber whatever its final status.
 */
export const OutcomeStrip = ({ outcomes }: { outcomes: TestRunOutcome[] }) => {
  const { status, grey } = useTheme().palette;
  const colour = (o: TestRunOutcome) => {
    if (o.flaky) return status.warning;
    if (o.status === 'passed') return status.ok;
    if (o.status === 'failed') return status.error;
    return grey[400];
  };
  const runs = [...outcomes].reverse();
  const failed = runs.filter(o => o.status === 'failed').length;
  const flaky = runs.filter(o => o.flaky).length;
  return (
    <Box
      display="flex"
      flexWrap="wrap"
      style={{ gap: 2 }}
      role="img"
      aria-label={`Last ${runs.length} runs: ${failed} failed, ${flaky} flaky`}
    >
      {runs.map((o, i) => (
        <span
          key={`${o.executedAt}-${i}`}
          title={`${o.executedAt.slice(0, 16).replace('T', ' ')} UTC · ${
            o.buildVersion ?? '—'
          } · ${describeOutcome(o)}`}
          style={{
            width: 8,
            height: 18,
            borderRadius: 2,
            backgroundColor: colour(o),
          }}
        />
      ))}
    </Box>
  );
};
