import { describeWindow, windowQuery } from './timeWindow';

const now = Date.parse('2026-02-24T23:30:00Z');

describe('windowQuery', () => {
  it('makes a preset whole UTC days ending today', () => {
    expect(windowQuery({ days: 7 }, now)).toEqual({
      from: '2026-02-18',
      to: '2026-02-24',
    });
    expect(windowQuery({ days: 90 }, now).from).toBe('2025-11-27');
  });

  it('passes a custom range through', () => {
    const range = { from: '2026-01-01', to: '2026-01-31' };
    expect(windowQuery(range, now)).toEqual(range);
    expect(describeWindow(range)).toBe('2026-01-01 – 2026-01-31');
    expect(describeWindow({ days: 30 })).toBe('last 30 days');
  });
});
