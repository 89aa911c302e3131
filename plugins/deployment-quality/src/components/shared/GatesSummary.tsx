import { Chip, Tooltip } from '@material-ui/core';
import { Gates } from '@deployment-quality/plugin-deployment-quality-common';

/** One chip per suite: green when every test passed, red when any failed. */
export const GatesSummary = ({ gates }: { gates: Gates }) => {
  const suites = Object.entries(gates).sort(([a], [b]) => a.localeCompare(b));
  if (suites.length === 0) {
    return <span aria-label="no test gates">—</span>;
  }
  return (
    <>
      {suites.map(([suite, g]) => {
        const ok = g.failed === 0;
        const label = `${suite} ${g.passed}/${g.total}`;
        return (
          <Tooltip
            key={suite}
            title={`${suite}: ${g.passed} passed, ${g.failed} failed, ${g.skipped} skipped of ${g.total}`}
          >
            <Chip
              size="small"
              label={label}
              aria-label={`${suite} gate ${ok ? 'passed' : 'failed'}: ${
                g.passed
              } of ${g.total} passed`}
              style={{
                marginRight: 4,
                backgroundColor: ok ? '#e6f4ea' : '#fce8e6',
                color: ok ? '#137333' : '#a50e0e',
              }}
            />
          </Tooltip>
        );
      })}
    </>
  );
};
