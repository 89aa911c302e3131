// Deterministic demo history: ~90 days of builds of a dozen services moving
// through Mira (development) → Pavo (staging) → Aquila (production), with
// test gates, failures, rollbacks and promotions. Everything derives from
// the absolute UTC day, so regenerating a day gives the same events with the
// same ids, and re-sending them stores nothing new.

const DAY = 86_400_000;
const MIN = 60_000;

export const SERVICES = [
  { id: 'authn', major: 3, rate: 1.4, flaky: 0.06, team: ['ana', 'ben'] },
  { id: 'user-profile', major: 2, rate: 0.8, flaky: 0.05, team: ['ana'] },
  { id: 'session-gateway', major: 1, rate: 0.5, flaky: 0.1, team: ['ben'] },
  { id: 'payments', major: 5, rate: 1.2, flaky: 0.07, team: ['chloe', 'dev'] },
  { id: 'billing', major: 4, rate: 0.9, flaky: 0.12, team: ['dev'] },
  { id: 'ledger', major: 1, rate: 0.4, flaky: 0.03, team: ['chloe'] },
  {
    id: 'fraud',
    major: 2,
    rate: 0.7,
    flaky: 0.15,
    team: ['dev'],
    worsening: true,
  },
  { id: 'api-gateway', major: 7, rate: 1.1, flaky: 0.05, team: ['erin'] },
  { id: 'notify', major: 1, rate: 0.9, flaky: 0.09, team: ['farid'] },
  { id: 'search-indexer', major: 3, rate: 0.6, flaky: 0.2, team: ['farid'] },
  { id: 'feature-flags', major: 2, rate: 0.5, flaky: 0.04, team: ['erin'] },
  { id: 'audit-log', major: 1, rate: 0.3, flaky: 0.02, team: ['erin'] },
];

const STAGES = [
  {
    clusters: ['mira-us-west-2', 'mira-us-east-1'],
    suites: ['FUNCTIONAL', 'SANITY'],
    delayMin: 0,
    failFactor: 1,
  },
  {
    clusters: ['pavo-us-west-2', 'pavo-eu-west-1'],
    suites: ['FUNCTIONAL', 'SANITY', 'REGRESSION'],
    delayMin: 75,
    failFactor: 0.8,
  },
  {
    clusters: ['aquila-us-east-1', 'aquila-eu-central-1'],
    suites: ['SANITY'],
    delayMin: 180,
    failFactor: 0.4,
  },
];

const SUITE_SIZE = { FUNCTIONAL: 240, SANITY: 30, REGRESSION: 1200 };

const FAILURES = [
  'Readiness probe failed: HTTP 503 on /healthz',
  'Sanity suite failed: 3 checks red',
  'ImagePullBackOff: manifest unknown',
  'Helm upgrade timed out after 600s',
  'Functional tests failed: checkout flow',
  'Error rate above 2% during canary',
];

function hash32(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

function rng(seed) {
  let a = hash32(seed);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sha = seed =>
  [0, 1, 2, 3, 4]
    .map(i => hash32(`${seed}:${i}`).toString(16).padStart(8, '0'))
    .join('');
const iso = ms => new Date(ms).toISOString();
const version = (s, day, b) =>
  `${s.major}.${Math.floor(day / 30) % 100}.${(day % 30) * 4 + b}`;

/** All events of one UTC day (days since the epoch) that happened before `now`. */
export function eventsOfDay(day, now) {
  const events = [];
  const emit = (at, eventId, eventType, payload) => {
    if (at <= now)
      events.push({
        at,
        event: { eventId, source: 'demo', eventType, payload },
      });
  };

  SERVICES.forEach((s, si) => {
    const r = rng(`${s.id}:${day}`);
    const builds = Math.floor(s.rate + r());
    for (let b = 0; b < builds; b++) {
      const buildVersion = version(s, day, b);
      const gitSha = sha(`${s.id}:${buildVersion}`);
      const start = day * DAY + (8 * 60 + Math.floor(r() * 540) + b * 30) * MIN;
      const commitAt = start - Math.floor(10 + r() * 230) * MIN;
      // One service gets worse over the last three weeks, to show a trend.
      const recent = day > Math.floor(now / DAY) - 21;
      const flaky = s.worsening && recent ? s.flaky * 3 : s.flaky;
      // Now and then a later build of the day is an unplanned fix, sent as
      // such through every stage (rework). From a hash, not from r(), so the
      // rest of the history stays what it was.
      const hotfix = b > 0 && hash32(`${s.id}:${day}:${b}:hotfix`) % 6 === 0;
      let t = start;

      for (const [stageIndex, stage] of STAGES.entries()) {
        // Every service runs in the primary region; half also in the secondary.
        const clusters =
          si % 2 === 0 ? stage.clusters : stage.clusters.slice(0, 1);
        t += stage.delayMin * MIN;
        let stageFailed = false;
        for (const [ci, clusterId] of clusters.entries()) {
          const startedAt = t + ci * 7 * MIN + Math.floor(r() * 5) * MIN;
          const endedAt = startedAt + Math.floor(3 + r() * 10) * MIN;
          const failed = r() < flaky * stage.failFactor;
          const production = stageIndex === STAGES.length - 1;
          const rolledBack = failed && production && r() < 0.6;
          const status = rolledBack
            ? 'ROLLBACK'
            : failed
            ? 'FAILED'
            : 'SUCCESS';
          const runNumber = day * 10 + b;
          const attemptId = `${clusterId}:${s.id}:${buildVersion}:${runNumber}`;
          const base = {
            clusterId,
            serviceId: s.id,
            buildVersion,
            gitSha,
            startedAt: iso(startedAt),
            trigger: hotfix
              ? 'hotfix'
              : stageIndex === 0
              ? 'merge'
              : 'promotion',
            runNumber,
            commitAt: iso(commitAt),
          };
          emit(startedAt, `demo:${attemptId}:start`, 'deployment', {
            ...base,
            status: 'IN_PROGRESS',
          });
          emit(endedAt, `demo:${attemptId}:end`, 'deployment', {
            ...base,
            status,
            endedAt: iso(endedAt),
            ...(failed
              ? { failureReason: FAILURES[Math.floor(r() * FAILURES.length)] }
              : {}),
            ...(rolledBack ? { rollbackToBuild: version(s, day - 1, 0) } : {}),
          });
          const failingSuite = failed
            ? stage.suites[Math.floor(r() * stage.suites.length)]
            : undefined;
          stage.suites.forEach((suiteType, k) => {
            const total = Math.round(SUITE_SIZE[suiteType] * (0.9 + r() * 0.2));
            const skipped = Math.floor(r() * 4);
            const failedTests =
              suiteType === failingSuite ? 1 + Math.floor(r() * 12) : 0;
            emit(
              endedAt + (k + 1) * MIN,
              `demo:${attemptId}:${suiteType}`,
              'test-result',
              {
                attemptId,
                suiteType,
                total,
                passed: total - skipped - failedTests,
                failed: failedTests,
                skipped,
                durationSec: Math.round(total * (0.2 + r() * 0.3)),
                executedAt: iso(endedAt + (k + 1) * MIN),
                reportUrl: `https://ci.example.com/${
                  s.id
                }/runs/${runNumber}/${suiteType.toLowerCase()}`,
              },
            );
          });
          stageFailed ||= failed;
          t = Math.max(t, endedAt);
        }
        if (stageFailed || stageIndex === STAGES.length - 1) break;
        const promotedAt = t + 15 * MIN;
        const from = clusters[0];
        const to = STAGES[stageIndex + 1].clusters[0];
        emit(
          promotedAt,
          `demo:promo:${s.id}:${buildVersion}:${from}:${to}`,
          'promotion',
          {
            serviceId: s.id,
            buildVersion,
            fromClusterId: from,
            toClusterId: to,
            promotedBy: s.team[Math.floor(r() * s.team.length)],
            promotedAt: iso(promotedAt),
          },
        );
        t = promotedAt;
      }
    }
  });
  // Every cluster-region validates itself each night (a cron job):
  // conformance at 02:00, a smoke suite at 02:30; now and then a few tests
  // fail, from a hash of the day so each night's result is stable.
  for (const clusterId of STAGES.flatMap(stage => stage.clusters)) {
    for (const [k, v] of VALIDATIONS.entries()) {
      const executedAt = day * DAY + (120 + k * 30) * MIN;
      const h = hash32(`${clusterId}:${v.suite}:${day}`);
      const failed = h % 100 < v.failPercent ? 1 + (h % 4) : 0;
      const skipped = h % 3;
      emit(
        executedAt,
        `demo:validation:${clusterId}:${v.suite}:${day}`,
        'cluster-test-result',
        {
          clusterId,
          suite: v.suite,
          total: v.total,
          passed: v.total - failed - skipped,
          failed,
          skipped,
          durationSec: v.durationSec + (h % 120),
          executedAt: iso(executedAt),
          reportUrl: `https://ci.example.com/validations/${clusterId}/${v.suite}/${day}`,
          labels: { job: v.job, k8s: '1.31' },
        },
      );
    }
  }
  // Two other tools score every service each morning: a production
  // readiness scorecard (checks that come and go) and a security score.
  SERVICES.forEach(s => {
    for (const tool of EXTERNAL_SCORECARDS) {
      const measuredAt = day * DAY + (6 * 60 + tool.minute) * MIN;
      const checks = tool.checks.map((name, k) => ({
        name,
        passed:
          hash32(`${s.id}:${tool.name}:${name}:${Math.floor(day / 7)}`) % 100 >=
          20 + k * 5,
      }));
      const score = tool.checks.length
        ? checks.filter(c => c.passed).length
        : 40 + (hash32(`${s.id}:${tool.name}:${day}`) % 61);
      emit(
        measuredAt,
        `demo:scorecard:${s.id}:${tool.name}:${day}`,
        'scorecard',
        {
          serviceId: s.id,
          name: tool.name,
          score,
          maxScore: tool.checks.length || 100,
          measuredAt: iso(measuredAt),
          url: `https://${tool.host}/services/${s.id}`,
          ...(tool.checks.length
            ? {
                checks: checks.map(c => ({
                  ...c,
                  url: `https://${tool.host}/services/${
                    s.id
                  }/checks/${c.name.replace(/\W+/g, '-')}`,
                })),
              }
            : {}),
        },
      );
    }
  });
  // The cloud bill: each morning a billing export job sends what every
  // service cost on each cluster-region over the last three days, the two
  // latest as estimates, so each day is restated (a new figure) once final.
  // Levels move in steps every nine days or so; the service that gets worse
  // also got dearer three weeks ago.
  const sentAt = day * DAY + 5 * 60 * MIN;
  const worseFrom = Math.floor(now / DAY) - 21;
  SERVICES.forEach((s, si) => {
    for (const [stageIndex, stage] of STAGES.entries()) {
      const clusters =
        si % 2 === 0 ? stage.clusters : stage.clusters.slice(0, 1);
      for (const clusterId of clusters) {
        for (let d = day - 3; d < day; d++) {
          const estimated = d >= day - 2;
          emit(
            sentAt,
            `demo:cost:${s.id}:${clusterId}:${d}:${
              estimated ? 'estimate' : 'final'
            }`,
            'cost',
            {
              serviceId: s.id,
              clusterId,
              date: iso(d * DAY).slice(0, 10),
              amount: dailyCost(
                s,
                stageIndex,
                clusterId,
                d,
                worseFrom,
                estimated,
              ),
              currency: 'USD',
              ...(estimated ? { estimated } : {}),
            },
          );
        }
      }
    }
  });
  return events.sort((a, b) => a.at - b.at).map(e => e.event);
}

/** A service's daily cost on a cluster-region of each stage, in USD, before its spread. */
const COST_PER_STAGE = [18, 42, 160];

/** What a service cost on a cluster-region on a day, in USD (an estimate: 3 % short). */
function dailyCost(s, stageIndex, clusterId, d, worseFrom, estimated) {
  const base =
    COST_PER_STAGE[stageIndex] *
    (0.5 + (hash32(`${s.id}:${clusterId}:base`) % 100) / 100);
  const step = Math.floor((d + (hash32(s.id) % 9)) / 9);
  const level = 1 + ((hash32(`${s.id}:${clusterId}:${step}`) % 31) - 15) / 100;
  const worse = s.worsening && d > worseFrom ? 1.35 : 1;
  const weekend = [0, 6].includes(new Date(d * DAY).getUTCDay()) ? 0.85 : 1;
  const noise = 0.95 + (hash32(`${s.id}:${clusterId}:${d}`) % 11) / 100;
  const amount =
    base * level * worse * weekend * noise * (estimated ? 0.97 : 1);
  return Math.round(amount * 100) / 100;
}

const EXTERNAL_SCORECARDS = [
  {
    name: 'soundcheck: production readiness',
    host: 'soundcheck.example.com',
    minute: 0,
    checks: [
      'has runbook',
      'alerts routed to on-call',
      'SLOs defined',
      'owner on call rotation',
      'dependencies pinned',
    ],
  },
  { name: 'snyk: security', host: 'snyk.example.com', minute: 15, checks: [] },
];

const VALIDATIONS = [
  {
    suite: 'conformance',
    job: 'sonobuoy',
    total: 402,
    durationSec: 3600,
    failPercent: 8,
  },
  { suite: 'smoke', job: 'k6', total: 36, durationSec: 240, failPercent: 4 },
];

export { DAY };

const UNIT_TESTS = 30;

/**
 * The JUnit reports of the unit tests each build ran on its first
 * cluster-region (`suiteType=UNIT`), for the per-test views: two tests of
 * every service flake (the database connection, a timeout), more often
 * where deployments fail more; one fails on every run of one build in five
 * (a real regression, not flaky); a build's tests run once more after a
 * flaky failure, as CI re-runs do. Each `{ query, xml, at }`.
 */
export function unitReportsOfDay(day, now) {
  const reports = [];
  for (const event of eventsOfDay(day, now)) {
    const p = event.payload;
    if (event.eventType !== 'deployment' || !p.endedAt) continue;
    const service = SERVICES.find(s => s.id === p.serviceId);
    const stage = STAGES[0];
    if (p.clusterId !== stage.clusters[0]) continue;
    const r = rng(`${p.serviceId}:${p.buildVersion}:${p.clusterId}:unit`);
    const broken = hash32(`${p.buildVersion}:${p.serviceId}`) % 5 === 0;
    const runs = [];
    let retry = true;
    for (let n = 0; n < 2 && retry; n++) {
      const flaked = [r() < service.flaky * 2, r() < service.flaky * 1.5];
      retry = flaked.some(Boolean);
      runs.push(flaked);
    }
    runs.forEach((flaked, n) => {
      const ranAt = Date.parse(p.endedAt) + (5 + n * 20) * MIN;
      if (ranAt > now) return;
      const cases = Array.from({ length: UNIT_TESTS }, (_, k) => {
        const name =
          [
            'connects to its database',
            'answers within its deadline',
            'rejects an expired token',
          ][k] ?? `unit behaviour ${k}`;
        let failure = '';
        if (k === 0 && flaked[0]) {
          failure = `connection refused to 10.0.${Math.floor(
            r() * 8,
          )}.${Math.floor(r() * 250)}:5432 after ${Math.floor(
            1000 + r() * 4000,
          )} ms`;
        } else if (k === 1 && flaked[1]) {
          failure = `timeout after ${Math.floor(
            2000 + r() * 3000,
          )} ms waiting for ${p.serviceId}-cache`;
        } else if (k === 2 && broken) {
          failure = `expected status 401 but got 500 (request ${sha(
            `${p.buildVersion}:${n}`,
          ).slice(0, 12)})`;
        }
        const time = ((10 + Math.floor(r() * 400)) / 1000).toFixed(3);
        return `<testcase classname="${
          p.serviceId
        }.UnitTest" name="${name}" time="${time}">${
          failure ? `<failure message="${failure}"/>` : ''
        }</testcase>`;
      });
      reports.push({
        at: ranAt,
        query: `clusterId=${p.clusterId}&serviceId=${
          p.serviceId
        }&buildVersion=${encodeURIComponent(p.buildVersion)}&suiteType=UNIT`,
        xml: `<testsuite name="${p.serviceId}-unit" timestamp="${iso(
          ranAt,
        )}">${cases.join('')}</testsuite>`,
      });
    });
  }
  return reports;
}
