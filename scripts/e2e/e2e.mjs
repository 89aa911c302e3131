#!/usr/bin/env node
// End to end in a real Chromium: starts the portal (backend + frontend dev
// server, as `./dev start` does) on free ports with a fresh SQLite directory,
// sends a deployment and its test results through the webhook, a GitHub
// `deployment_status` in_progress → success (signed like GitHub signs it) and
// an Argo CD rollback notification, then opens the entity's Deployments and
// Quality tabs and the cluster pages in Debian's Chromium (driven by
// playwright-core) and checks they show those events. Saves a screenshot of
// each view. Stops everything it started; bounded to 6 minutes.
//
//   node scripts/e2e/e2e.mjs [--screenshots DIR]       (default: a temp dir)
//   node scripts/e2e/e2e.mjs --demo-screenshots docs/screenshots
//        seeds the demo history (scripts/demo/seed.mjs) instead and saves a
//        screenshot of every view with it
//   node scripts/e2e/e2e.mjs --fleet 5000
//        loads a fleet of that many services (the benchmark's generator,
//        20 attempts each) before the portal starts, then measures how soon
//        the overview, a cluster page, its search and paging, the scorecard
//        and the service filter show their data (time to first useful
//        paint), and checks what they show
//
// Installs Debian's chromium with apt-get when /usr/bin/chromium is missing.
import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import {
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliArgs } from '../lib/args.mjs';
import {
  ensureChromium,
  freePorts,
  launchChromium,
  signInAsGuest,
  stopGroup,
  waitFor as waitForCondition,
} from '../lib/harness.mjs';

const args = cliArgs();
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TIME_LIMIT_MS = 6 * 60_000;
const demo = args['demo-screenshots'] !== undefined;
const fleet = Number(args.fleet ?? 0);
const started = Date.now();

const log = msg =>
  console.error(
    `[e2e ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`,
  );

const work = mkdtempSync(join(tmpdir(), 'dq-e2e-'));
const shotDir = resolve(
  repoRoot,
  args['demo-screenshots'] ?? args.screenshots ?? join(work, 'screenshots'),
);
mkdirSync(shotDir, { recursive: true });

// ---------------------------------------------------------------- cleanup
let portal;
let browser;
let stopping;
async function stopAll() {
  if (stopping) return stopping;
  stopping = (async () => {
    await browser?.close().catch(() => {});
    await stopGroup(portal);
    if (!args.keep)
      rmSync(join(work, 'sqlite'), { recursive: true, force: true });
  })();
  return stopping;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    log(`${signal}: stopping`);
    await stopAll();
    process.exit(130);
  });
}
const deadline = setTimeout(async () => {
  log(`FAIL: over the time limit of ${TIME_LIMIT_MS / 60_000} minutes`);
  await stopAll();
  process.exit(1);
}, TIME_LIMIT_MS);

// ---------------------------------------------------------------- helpers
// Waits on the portal: fails as soon as it exits.
const waitFor = (what, check, timeoutMs) =>
  waitForCondition(what, check, timeoutMs, () => portal.exitCode === null);

function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
  log(`ok: ${message}`);
}

// ---------------------------------------------------------------- the portal
const portalLog = join(work, 'portal.log');

async function startPortal() {
  const [appPort, backendPort] = await freePorts(2);
  const appUrl = `http://localhost:${appPort}`;
  const backendUrl = `http://localhost:${backendPort}`;
  // On top of app-config.yaml: other ports, and a fresh SQLite directory so
  // the developer's .data is never touched.
  const config = join(work, 'app-config.e2e.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      app: { baseUrl: appUrl },
      backend: {
        baseUrl: backendUrl,
        listen: { port: backendPort, host: '127.0.0.1' },
        cors: { origin: appUrl },
        database: { connection: { directory: join(work, 'sqlite') } },
      },
    }),
  );
  log(`starting the portal: frontend ${appUrl}, backend ${backendUrl}`);
  log(`portal log: ${portalLog}`);
  const out = createWriteStream(portalLog);
  portal = spawn(
    'yarn',
    [
      'start',
      '--config',
      join(repoRoot, 'app-config.yaml'),
      '--config',
      config,
    ],
    {
      cwd: repoRoot,
      detached: true, // its own process group, stopped as one
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BROWSER: 'none', FORCE_COLOR: '0' },
    },
  );
  portal.stdout.pipe(out);
  portal.stderr.pipe(out);

  const t0 = Date.now();
  await waitFor(
    'the backend',
    async () =>
      (
        await fetch(`${backendUrl}/.backstage/health/v1/readiness`)
      ).ok,
    240_000,
  );
  log(`backend ready after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  await waitFor(
    'the frontend',
    async () => {
      const res = await fetch(appUrl);
      return res.ok && (await res.text()).includes('<script');
    },
    240_000,
  );
  log(`frontend ready after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  return { appUrl, backendUrl };
}

// ---------------------------------------------------------------- events
const config = readFileSyncYamlSecrets();
function readFileSyncYamlSecrets() {
  // The local secrets of app-config.yaml (they are local-only values).
  const text = readFileSync(join(repoRoot, 'app-config.yaml'), 'utf8');
  const pick = re => {
    const m = re.exec(text);
    if (!m) throw new Error(`app-config.yaml: no ${re}`);
    return m[1];
  };
  return {
    webhook: pick(/name: local-dev\s+secret: (\S+)/),
    github: pick(/github:\s+secrets:\s+- \{ name: [^,]+, secret: ([^ }]+)/),
    argocd: pick(/argocd:\s+secrets:\s+- \{ name: [^,]+, secret: ([^ }]+)/),
    awsCost: pick(
      /aws-cost-explorer:\s+secrets:\s+- \{ name: [^,]+, secret: ([^ }]+)/,
    ),
  };
}

async function post(url, body, headers) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw,
  });
  const text = await res.text();
  if (res.status !== 202) {
    throw new Error(`${url} answered ${res.status}: ${text}`);
  }
  const answer = JSON.parse(text);
  if (answer.status === 'ignored') {
    throw new Error(`${url} ignored the delivery: ${answer.reason}`);
  }
  for (const r of answer.results ?? []) {
    if (r.status === 'rejected') {
      throw new Error(`${url} rejected an event: ${JSON.stringify(r)}`);
    }
  }
  return answer;
}

const fixture = (...p) =>
  JSON.parse(
    readFileSync(
      join(
        repoRoot,
        'plugins/deployment-quality-backend-module-sources/src/__fixtures__',
        ...p,
      ),
      'utf8',
    ),
  );

const iso = msAgo => new Date(Date.now() - msAgo).toISOString();
const MIN = 60_000;

/** What the e2e sends, and what the views must then show. */
const E2E = {
  entity: '/catalog/default/component/billing',
  service: 'billing',
  webhook: { cluster: 'aquila-us-east-1', version: '7.1.0-e2e' },
  github: {
    cluster: 'pavo-us-west-2',
    version: '7.2.0-gh',
    deploymentId: 4242,
  },
  /** A build whose unit tests flake, from three JUnit reports. */
  flaky: { version: '7.0.9-e2e', test: 'totals the prices' },
  /** A service released five days ago, for the cost a release changed. */
  costProbe: { service: 'cost-probe', version: '2.0.0' },
  argocd: {
    cluster: 'mira-us-west-2',
    returnedTo: '9c1d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f',
    left: 'ea8759964626a583667a2bfd08f334ec2070040a',
  },
};

async function sendEvents(backendUrl) {
  const api = `${backendUrl}/api/deployment-quality`;

  // 1. Our own format through the webhook: a deployment and its test results.
  const { cluster, version } = E2E.webhook;
  const attemptId = `${cluster}:${E2E.service}:${version}:1`;
  await post(
    `${api}/ingest/webhook`,
    {
      events: [
        {
          eventId: `e2e:${attemptId}:end`,
          source: 'e2e',
          eventType: 'deployment',
          payload: {
            clusterId: cluster,
            serviceId: E2E.service,
            buildVersion: version,
            gitSha: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4',
            status: 'SUCCESS',
            startedAt: iso(40 * MIN),
            endedAt: iso(32 * MIN),
            trigger: 'merge',
            runNumber: 1,
            commitAt: iso(120 * MIN),
          },
        },
        ...[
          ['FUNCTIONAL', 120, 117, 0, 3],
          ['SANITY', 30, 30, 0, 0],
        ].map(([suiteType, total, passed, failed, skipped], k) => ({
          eventId: `e2e:${attemptId}:${suiteType}`,
          source: 'e2e',
          eventType: 'test-result',
          payload: {
            attemptId,
            suiteType,
            total,
            passed,
            failed,
            skipped,
            durationSec: 40 + k,
            executedAt: iso((30 - k) * MIN),
            reportUrl: `https://ci.example.com/billing/runs/1/${suiteType.toLowerCase()}`,
          },
        })),
        // The cluster-region's own nightly conformance run, 4 tests red.
        {
          eventId: `e2e:validation:${cluster}:conformance`,
          source: 'e2e-cron',
          eventType: 'cluster-test-result',
          payload: {
            clusterId: cluster,
            suite: 'conformance',
            total: 402,
            passed: 397,
            failed: 4,
            skipped: 1,
            durationSec: 3620,
            executedAt: iso(300 * MIN),
            reportUrl: `https://ci.example.com/validations/${cluster}/conformance`,
            labels: { job: 'sonobuoy' },
          },
        },
        // Another tool's scorecard of the service.
        {
          eventId: `e2e:scorecard:${E2E.service}`,
          source: 'soundcheck',
          eventType: 'scorecard',
          payload: {
            serviceId: E2E.service,
            name: 'soundcheck: production readiness',
            score: 4,
            maxScore: 5,
            measuredAt: iso(60 * MIN),
            url: `https://soundcheck.example.com/services/${E2E.service}`,
            checks: [
              { name: 'has runbook', passed: true },
              { name: 'SLOs defined', passed: false },
            ],
          },
        },
      ],
    },
    { 'x-webhook-secret': config.webhook },
  );
  log(
    `webhook: deployment ${attemptId}, 2 test results, a cluster validation and a scorecard stored`,
  );

  // 2. GitHub: one deployment, reported in_progress then success.
  const base = fixture('github', 'deployment_status.created.success.json');
  const gh = E2E.github;
  const github = async (state, statusId, at) => {
    const body = structuredClone(base);
    body.repository.name = E2E.service;
    body.repository.full_name = `acme/${E2E.service}`;
    Object.assign(body.deployment, {
      id: gh.deploymentId,
      sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
      environment: 'staging',
      original_environment: 'staging',
      payload: { version: gh.version },
      created_at: iso(20 * MIN),
      updated_at: at,
    });
    Object.assign(body.deployment_status, {
      id: statusId,
      state,
      environment: 'staging',
      created_at: at,
      updated_at: at,
    });
    const raw = JSON.stringify(body);
    const signature = createHmac('sha256', config.github)
      .update(raw)
      .digest('hex');
    return post(`${api}/ingest/sources/github`, raw, {
      'x-github-event': 'deployment_status',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${signature}`,
    });
  };
  await github('in_progress', 90001, iso(19 * MIN));
  await github('success', 90002, iso(12 * MIN));
  log(`github: deployment ${gh.deploymentId} in_progress then success`);

  // 3. Argo CD: a sync back to an older revision of the app's history.
  const argo = fixture('argocd', 'notification.rollback.json');
  // Argo CD stamps the sync's history entry with the operation's own start,
  // so both must be the same instant (two clock reads can differ by 1 ms).
  const syncStartedAt = iso(10 * MIN);
  const history = [
    {
      id: 30,
      revision: E2E.argocd.returnedTo,
      deployStartedAt: iso(300 * MIN),
    },
    { id: 31, revision: E2E.argocd.left, deployStartedAt: iso(60 * MIN) },
    { id: 32, revision: E2E.argocd.returnedTo, deployStartedAt: syncStartedAt },
  ];
  Object.assign(argo, {
    app: E2E.service,
    destination: {
      name: 'in-cluster',
      server: '<no value>',
      namespace: 'billing',
    },
    revision: E2E.argocd.returnedTo,
    requestedRevision: E2E.argocd.returnedTo,
    phase: 'Succeeded',
    health: 'Healthy',
    startedAt: syncStartedAt,
    finishedAt: iso(9 * MIN),
    history,
  });
  await post(`${api}/ingest/sources/argocd`, argo, {
    'x-webhook-secret': config.argocd,
  });
  log('argocd: rollback notification stored');

  // 4. AWS Cost Explorer: daily cost, as `aws ce get-cost-and-usage
  // --granularity DAILY --group-by Type=TAG,Key=service
  // Type=DIMENSION,Key=REGION` prints it; yesterday still an estimate. Also
  // a service released five days ago, whose cost rose from $20 to $30 a day.
  const day = n => iso(n * 1440 * MIN).slice(0, 10);
  const usd = amount => ({
    UnblendedCost: { Amount: amount, Unit: 'USD' },
  });
  const probe = E2E.costProbe;
  await post(
    `${api}/ingest/webhook`,
    {
      eventId: `e2e:${probe.service}:${probe.version}`,
      source: 'e2e',
      eventType: 'deployment',
      payload: {
        clusterId: cluster,
        serviceId: probe.service,
        buildVersion: probe.version,
        gitSha: 'c0ffee1',
        status: 'SUCCESS',
        startedAt: iso(5 * 1440 * MIN + 10 * MIN),
        endedAt: iso(5 * 1440 * MIN),
        trigger: 'merge',
      },
    },
    { 'x-webhook-secret': config.webhook },
  );
  await post(
    `${api}/ingest/sources/aws-cost-explorer`,
    {
      GroupDefinitions: [
        { Type: 'TAG', Key: 'service' },
        { Type: 'DIMENSION', Key: 'REGION' },
      ],
      ResultsByTime: [8, 7, 6, 5, 4, 3, 2, 1].map(n => ({
        TimePeriod: { Start: day(n), End: day(n - 1) },
        Total: {},
        Groups: [
          {
            Keys: [`service$${E2E.service}`, 'us-east-1'],
            Metrics: usd(n === 1 ? '44.5' : '40.0000001'),
          },
          ...(n <= 3
            ? [
                {
                  Keys: [`service$${E2E.service}`, 'us-west-2'],
                  Metrics: usd('10'),
                },
              ]
            : []),
          {
            Keys: [`service$${probe.service}`, 'us-east-1'],
            Metrics: usd(n > 5 ? '20' : n === 5 ? '25' : '30'),
          },
          { Keys: ['service$', 'us-east-1'], Metrics: usd('3.14') },
        ],
        Estimated: n === 1,
      })),
      DimensionValueAttributes: [],
    },
    { 'x-webhook-secret': config.awsCost },
  );
  log("aws-cost-explorer: eight days of two services' cost stored");

  // 5. JUnit reports of one build's unit tests, run three times: `totals`
  // fails, passes, fails (flaky: a flip on one version); `adds` passes
  // after a failed retry (flaky too); the others pass.
  const flaky = E2E.flaky;
  for (const [k, totals] of [
    [0, '<failure message="timeout after 5012 ms">at Cart.totals</failure>'],
    [1, ''],
    [2, '<failure message="timeout after 4987 ms">at Cart.totals</failure>'],
  ]) {
    const xml = `<testsuite name="cart" timestamp="${iso((50 - 5 * k) * MIN)}">
      <testcase classname="com.acme.billing.CartTest" name="${
        flaky.test
      }" time="0.4">${totals}</testcase>
      <testcase classname="com.acme.billing.CartTest" name="adds an item" time="0.1">${
        k === 0 ? '<flakyFailure message="connection reset"/>' : ''
      }</testcase>
      <testcase classname="com.acme.billing.CartTest" name="removes an item" time="0.1"/>
    </testsuite>`;
    const res = await fetch(
      `${api}/ingest/test-reports?clusterId=${cluster}&serviceId=${E2E.service}&buildVersion=${flaky.version}&suiteType=UNIT`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/xml',
          'x-webhook-secret': config.webhook,
        },
        body: xml,
      },
    );
    if (res.status !== 202) {
      throw new Error(
        `test report answered ${res.status}: ${await res.text()}`,
      );
    }
  }
  log(`test reports: three JUnit runs of ${E2E.service} ${flaky.version}`);
}

// ---------------------------------------------------------------- browser
async function launchBrowser() {
  browser = await launchChromium(log);
  const context = await browser.newContext({
    viewport: { width: 1440, height: 1000 },
    timezoneId: 'UTC',
    locale: 'en-US',
  });
  context.setDefaultTimeout(60_000);
  return context.newPage();
}

async function shot(page, name, locator) {
  const path = join(shotDir, `${name}.png`);
  // Off the sidebar, which opens under a resting pointer.
  await page.mouse.move(900, 10);
  // Let charts finish their entry animation.
  await page.waitForTimeout(800);
  if (locator) {
    // The fixed sidebar would cover the left of an element scrolled to.
    const hide = await page.addStyleTag({
      content: 'nav[aria-label="sidebar nav"] { display: none !important; }',
    });
    // The app scrolls inside its own container, so an element taller than
    // the window would be cut: the window grows to hold it for the shot.
    const viewport = page.viewportSize();
    const box = await locator.boundingBox();
    const taller = viewport && box && box.height + 40 > viewport.height;
    if (taller) {
      await page.setViewportSize({
        width: viewport.width,
        height: Math.ceil(box.height) + 200,
      });
      await locator.scrollIntoViewIfNeeded();
    }
    await locator.screenshot({ path });
    if (taller) await page.setViewportSize(viewport);
    await hide.evaluate(style => style.remove());
  } else await page.screenshot({ path, fullPage: true });
  log(`screenshot ${path}`);
}

/** The app's guest sign-in: one click, remembered for the session. */
async function signIn(page, appUrl) {
  await signInAsGuest(
    page,
    appUrl,
    page.getByRole('link', { name: 'Deployments' }).first(),
  );
  log('signed in as guest');
}

/** Opens a view and waits until the page has rendered its data. */
async function open(page, url, ready) {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await ready.first().waitFor({ state: 'visible', timeout: 120_000 });
  // No progress bar left (tables and cards load on their own).
  await page
    .getByRole('progressbar')
    .first()
    .waitFor({ state: 'detached', timeout: 30_000 })
    .catch(() => {});
}

async function checkViews(page, appUrl) {
  const { webhook, github, argocd } = E2E;
  const short = sha => sha.slice(0, 7);

  // Deployments tab.
  await open(
    page,
    `${appUrl}${E2E.entity}/deployments`,
    page.getByText('Deployment attempts'),
  );
  const attempts = page
    .locator('table')
    .filter({ has: page.getByRole('columnheader', { name: /Cluster/ }) })
    .last();
  await attempts.getByText(webhook.version).first().waitFor();
  const text = await page.locator('main').innerText();
  assert(
    text.includes(webhook.version),
    `Deployments tab shows the webhook build ${webhook.version}`,
  );
  const ghRows = page.locator('tr').filter({ hasText: github.version });
  // The matrix shows the cluster's current version; the attempts table one row.
  const ghAttemptRows = attempts
    .locator('tr')
    .filter({ hasText: github.version });
  assert(
    (await ghAttemptRows.count()) === 1,
    `the GitHub deployment is ONE attempt (${await ghAttemptRows.count()} row)`,
  );
  assert(
    /Success/.test(await ghAttemptRows.first().innerText()),
    'the GitHub attempt shows its final status Success (SUCCESS)',
  );
  assert(
    !/In progress/.test(await ghRows.first().innerText()),
    'no GitHub attempt is left In progress',
  );
  const rollback = attempts.locator('tr').filter({ hasText: 'Rolled back' });
  assert(
    (await rollback.count()) === 1,
    'the Argo CD sync shows as Rolled back (ROLLBACK)',
  );
  assert(
    (await rollback.first().innerText()).includes(
      `rolled back to ${short(argocd.returnedTo)}`,
    ),
    `the rollback names the version it returned to, ${short(
      argocd.returnedTo,
    )}`,
  );
  await shot(page, 'e2e-deployments-tab');

  // The build detail of the webhook attempt: its test runs.
  await attempts
    .locator('tr')
    .filter({ hasText: webhook.version })
    .getByRole('button', { name: /Details/ })
    .click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('FUNCTIONAL').first().waitFor();
  const detail = await dialog.innerText();
  assert(
    detail.includes('SANITY') && /117/.test(detail),
    'the build detail lists the webhook test results (FUNCTIONAL 117 passed, SANITY)',
  );
  await shot(page, 'e2e-build-detail', dialog);
  await page.keyboard.press('Escape');

  // Quality tab.
  await open(
    page,
    `${appUrl}${E2E.entity}/quality`,
    page.getByText(/Deployment frequency/i),
  );
  await page
    .getByText(/functional/i)
    .first()
    .waitFor();
  const quality = await page.locator('main').innerText();
  assert(
    /Deployment frequency/i.test(quality) && /functional/i.test(quality),
    'Quality tab shows the DORA figures and the FUNCTIONAL suite’s pass rate',
  );
  assert(
    quality.includes('1 failed / 3 finished'),
    'Quality tab counts the three attempts, the rollback as the failed one',
  );
  assert(
    /Deployment rework rate/.test(quality) &&
      /\d+ rework \/ 3 finished/.test(quality),
    'Quality tab shows the fifth key, deployment rework rate, over the same attempts',
  );
  assert(
    /Failed deployment recovery time/.test(quality) &&
      /Throughput/.test(quality) &&
      /Instability/.test(quality),
    'Quality tab names recovery time as DORA does and shows the throughput / instability profile',
  );
  assert(
    / · 2024/.test(quality),
    'every tier names its benchmark year, 2024 by default',
  );
  const external = page.getByRole('region', {
    name: 'soundcheck: production readiness: 4 of 5',
  });
  await external.waitFor();
  assert(
    /4 \/ 5/.test(await external.innerText()) &&
      /✗ SLOs defined/.test(await external.innerText()),
    'Quality tab shows the scorecard another tool sent, with its failing check',
  );
  // Its cost: 7 days at $40.00 and an estimated $44.50 on aquila, 3 days at
  // $10.00 on pavo (the untagged group belongs to no service).
  const costTiles = page.getByRole('list', { name: 'Cost in USD' });
  await costTiles.waitFor();
  assert(
    (await costTiles.innerText()).replace(/\s+/g, ' ').includes('$354.50'),
    'Quality tab shows the cost Cost Explorer reported, summed over the window',
  );
  const costCard = page
    .locator('[class*="MuiCard-root"]')
    .filter({ has: costTiles })
    .last();
  const costText = await costCard.innerText();
  assert(
    /aquila-us-east-1/.test(costText) && /\$324\.50/.test(costText),
    'the cost card splits it by cluster-region',
  );
  assert(
    !/What releases did to the bill/.test(costText),
    'releases of today, with no cost figures after them yet, are not judged',
  );
  await costCard.scrollIntoViewIfNeeded();
  await shot(page, 'e2e-cost', costCard);

  // Flaky tests, and one test's history.
  const flakyCard = page
    .locator('[class*="MuiCard-root"]')
    .filter({ hasText: 'Flaky tests' })
    .last();
  const flakyRow = flakyCard.locator('tr').filter({ hasText: E2E.flaky.test });
  await flakyRow.waitFor();
  const flakyText = (await flakyRow.innerText()).replace(/\s+/g, ' ');
  assert(
    flakyText.includes('66.7 %') &&
      flakyText.includes('2 of 3') &&
      /flipped on one version/.test(flakyText),
    `the flaky list shows ${E2E.flaky.test}: 2 of 3 runs flaky, flipped on one version`,
  );
  assert(
    /adds an item[\s\S]*passed on retry/.test(await flakyCard.innerText()),
    'the flaky list shows the test that passed on a retry',
  );
  await flakyCard.scrollIntoViewIfNeeded();
  await shot(page, 'e2e-flaky-tests', flakyCard);
  await flakyCard
    .getByRole('button', { name: `History of ${E2E.flaky.test}` })
    .click();
  const testDialog = page.getByRole('dialog', {
    name: `Test history: ${E2E.flaky.test}`,
  });
  await testDialog
    .getByRole('img', { name: 'Last 3 runs: 2 failed, 2 flaky' })
    .waitFor();
  const dialogText = await testDialog.innerText();
  assert(
    dialogText.includes('timeout after <n> ms') &&
      dialogText.includes('timeout after 4987 ms'),
    "a test's history shows its runs and groups its two timeouts as one signature",
  );
  await shot(page, 'e2e-test-history', testDialog);
  await page.keyboard.press('Escape');
  await testDialog.waitFor({ state: 'detached' });
  // Quarantine it: recorded with who, and listed apart.
  await flakyCard
    .getByRole('button', { name: `Quarantine ${E2E.flaky.test}` })
    .click();
  const reasonDialog = page.getByRole('dialog', {
    name: `Quarantine ${E2E.flaky.test}`,
  });
  await reasonDialog
    .getByRole('textbox', { name: /Reason/ })
    .fill('e2e: timeouts since the cart cache change');
  await reasonDialog.getByRole('button', { name: 'Quarantine' }).click();
  await reasonDialog.waitFor({ state: 'detached' });
  const quarantinedRow = flakyCard
    .locator('tr')
    .filter({ hasText: 'e2e: timeouts since the cart cache change' });
  await quarantinedRow.waitFor();
  assert(
    /user:default\/guest/.test(await quarantinedRow.innerText()),
    'a quarantined test is listed with its reason and who quarantined it',
  );
  await shot(page, 'e2e-quarantine', flakyCard);
  await page.getByRole('button', { name: /Benchmark/ }).click();
  await page.getByRole('option', { name: 'DORA 2023' }).click();
  await page
    .getByText(/ · 2023/)
    .first()
    .waitFor();
  assert(
    !/ · 2024/.test(await page.locator('main').innerText()),
    'switching the benchmark reads every tier against the 2023 clusters',
  );
  await shot(page, 'e2e-quality-tab');

  // Cluster pages.
  for (const [cluster, version, status] of [
    [webhook.cluster, webhook.version, 'Success'],
    [github.cluster, github.version, 'Success'],
    [argocd.cluster, short(argocd.left), 'Rolled back'],
  ]) {
    await open(
      page,
      `${appUrl}/deployment-quality/clusters/${cluster}`,
      page.getByText(version),
    );
    const rows = page.locator('tr').filter({ hasText: version });
    assert(
      (await rows.count()) >= 1 &&
        (await rows.first().innerText()).includes(status),
      `cluster page ${cluster} shows ${E2E.service} ${version} ${status}`,
    );
    await shot(page, `e2e-cluster-${cluster}`);
  }

  // The webhook cluster's own validation: on its page, and flagged on the
  // overview.
  await open(
    page,
    `${appUrl}/deployment-quality/clusters/${webhook.cluster}`,
    page.getByText('Cluster validations'),
  );
  const validation = page.locator('tr').filter({ hasText: 'conformance' });
  await validation.first().waitFor();
  const validationText = await validation.first().innerText();
  assert(
    validationText.includes('4 failed of 402') &&
      validationText.includes('job=sonobuoy'),
    'the cluster page shows its nightly conformance run, 4 of 402 failed, with its labels',
  );
  await validation.first().scrollIntoViewIfNeeded();
  await shot(page, 'e2e-cluster-validations');
  const clusterCost = page
    .locator('[class*="MuiCard-root"]')
    .filter({ has: page.getByRole('list', { name: 'Cost in USD' }) })
    .last();
  await clusterCost.waitFor();
  const clusterCostText = await clusterCost.innerText();
  assert(
    /By service \(2 of 2\)/.test(clusterCostText) &&
      /\$324\.50/.test(clusterCostText),
    'the cluster page shows what its services cost, the service’s share on this cluster-region only',
  );
  const release = clusterCost
    .locator('tr')
    .filter({ hasText: E2E.costProbe.version });
  const releaseText = (await release.first().innerText()).replace(/\s+/g, ' ');
  assert(
    releaseText.includes('$20.00 (3 d)') &&
      releaseText.includes('$30.00 (4 d)') &&
      releaseText.includes('+$10.00 (+50 %)'),
    'the cluster page shows what a release five days ago did to its service’s daily bill: $20 → $30 (+50 %)',
  );
  await shot(page, 'e2e-cluster-cost', clusterCost);
  await open(
    page,
    `${appUrl}/deployment-quality`,
    page.getByText('Cluster-regions'),
  );
  const overviewRow = page
    .locator('tr')
    .filter({ hasText: webhook.cluster })
    .first();
  await overviewRow.waitFor();
  assert(
    (await overviewRow.innerText()).includes('1 of 1 failing'),
    'the overview flags the cluster-region whose latest validation failed',
  );

  // What is breaking builds: the e2e's two timeouts are one signature.
  await open(
    page,
    `${appUrl}/deployment-quality/analytics`,
    page.getByText('What is breaking builds'),
  );
  const signatureButton = page.getByRole('button', {
    name: 'Failures: timeout after <n> ms',
    exact: true,
  });
  const signatureRow = page.locator('tr').filter({ has: signatureButton });
  const signatureText = (await signatureRow.innerText()).replace(/\s+/g, ' ');
  assert(
    signatureText.includes(`${E2E.service} (1)`),
    `the analytics page lists the timeout signature across the fleet, ${E2E.service} most affected`,
  );
  const signatureCard = page
    .locator('[class*="MuiCard-root"]')
    .filter({ hasText: 'What is breaking builds' })
    .last();
  await signatureCard.scrollIntoViewIfNeeded();
  await shot(page, 'e2e-failure-signatures', signatureCard);
  await signatureButton.click();
  const occurrences = page.getByRole('dialog', {
    name: 'Failures with one signature',
  });
  await occurrences.getByText('timeout after 4987 ms').waitFor();
  assert(
    (await occurrences.innerText()).includes(E2E.flaky.test),
    'a signature drills down into its failures: test, service and message',
  );
  await page.keyboard.press('Escape');
  await occurrences.waitFor({ state: 'detached' });

  // The owning team's and the system's roll-ups list the service with the
  // webhook build on its cluster-region, linked to the Component.
  for (const rollup of ['group/team-payments', 'system/payments']) {
    await open(
      page,
      `${appUrl}/catalog/default/${rollup}/deployments`,
      page.getByText('Services per cluster-region'),
    );
    const row = page
      .locator('tr')
      .filter({ hasText: webhook.cluster })
      .filter({ hasText: E2E.service });
    await row.first().waitFor({ timeout: 30_000 });
    assert(
      (await row.count()) === 1 &&
        (await row.first().getByRole('link', { name: E2E.service }).count()) ===
          1,
      `the ${rollup} roll-up lists ${E2E.service} on ${webhook.cluster}, linked to its Component`,
    );
    await shot(page, `e2e-rollup-${rollup.replace('/', '-')}`);
  }

  // Overview: the rollback among the last day's problems.
  await open(
    page,
    `${appUrl}/deployment-quality`,
    page.getByRole('link', { name: /Mira US-West-2/ }),
  );
  await page.getByText('Ingestion status').waitFor();
  await shot(page, 'e2e-overview');
}

/**
 * A failed production deployment of a service the guest's team owns reaches
 * the guest as a notification (deploymentQuality.notifications in
 * app-config.yaml; the notifier looks every 10 s).
 */
/**
 * At a phone's width (390 px) each view fits the screen: nothing scrolls
 * sideways, and a row's status and gates lie inside the viewport (tables
 * become one card per row there).
 */
// A laptop's 1,280 px: the Deployments tab's attempts show their last
// column (each attempt's Details) without scrolling the table.
async function checkLaptop(page, appUrl) {
  const WIDTH = 1280;
  await page.setViewportSize({ width: WIDTH, height: 800 });
  const { webhook } = E2E;
  await open(
    page,
    `${appUrl}${E2E.entity}/deployments`,
    page.getByText(webhook.version),
  );
  const details = page
    .getByRole('button', {
      name: `Details of build ${webhook.version} on ${webhook.cluster}`,
    })
    .first();
  await details.waitFor();
  // Against the edge of the box it scrolls in (the table scrolls within its
  // card), not only the window's.
  const { right, edge } = await details.evaluate(el => {
    let clip = el.parentElement;
    while (
      clip &&
      !['auto', 'scroll'].includes(getComputedStyle(clip).overflowX)
    ) {
      clip = clip.parentElement;
    }
    return {
      right: el.getBoundingClientRect().right,
      edge: Math.min(
        clip?.getBoundingClientRect().right ?? Infinity,
        window.innerWidth,
      ),
    };
  });
  assert(
    right <= edge,
    `at ${WIDTH} px, the Deployments tab shows an attempt's last column without scrolling (Details ends at x ${right.toFixed(
      0,
    )}, its table at ${edge.toFixed(0)})`,
  );
  await shot(page, 'laptop-deployments-tab');
  await page.setViewportSize({ width: 1440, height: 1000 });
}

async function checkPhone(page, appUrl) {
  const WIDTH = 390;
  await page.setViewportSize({ width: WIDTH, height: 844 });
  const { webhook } = E2E;
  const inside = async (locator, what) => {
    await locator.first().waitFor();
    const box = await locator.first().boundingBox();
    assert(
      box && box.x >= 0 && box.x + box.width <= WIDTH + 1,
      `at ${WIDTH} px, ${what} is on screen (x ${box?.x?.toFixed(
        0,
      )}, width ${box?.width?.toFixed(0)})`,
    );
  };
  const noSideways = async view => {
    const wide = await page.evaluate(
      () => document.scrollingElement.scrollWidth - window.innerWidth,
    );
    assert(
      wide <= 1,
      `at ${WIDTH} px, the ${view} doesn't scroll sideways (${wide} px)`,
    );
  };
  const views = [
    [
      'Deployments tab',
      `${appUrl}${E2E.entity}/deployments`,
      'phone-deployments-tab',
    ],
    [
      'cluster page',
      `${appUrl}/deployment-quality/clusters/${webhook.cluster}`,
      'phone-cluster',
    ],
  ];
  for (const [view, url, name] of views) {
    await open(page, url, page.getByText(webhook.version));
    await noSideways(view);
    const card = page
      .locator('li')
      .filter({ hasText: webhook.version })
      .filter({ hasText: 'functional 117/120' })
      .first();
    await inside(
      card.getByText('Success').first(),
      `the ${view}'s status of ${webhook.version}`,
    );
    await inside(
      card.getByText('functional 117/120'),
      `the ${view}'s gates of ${webhook.version}`,
    );
    await shot(page, name);
  }
  for (const [view, url, ready, name] of [
    [
      'overview',
      `${appUrl}/deployment-quality`,
      'Cluster-regions',
      'phone-overview',
    ],
    [
      'Quality tab',
      `${appUrl}${E2E.entity}/quality`,
      'Deployment rework rate',
      'phone-quality-tab',
    ],
    [
      'scorecard',
      `${appUrl}/deployment-quality/scorecard`,
      'Export CSV',
      'phone-scorecard',
    ],
  ]) {
    await open(page, url, page.getByText(ready));
    await noSideways(view);
    await shot(page, name);
  }
  await page.setViewportSize({ width: 1440, height: 1000 });
}

/** A merge's first deployment run on aquila-us-east-1, through the webhook. */
function sendDeployment(backendUrl, payload) {
  return post(
    `${backendUrl}/api/deployment-quality/ingest/webhook`,
    {
      source: 'e2e',
      eventType: 'deployment',
      payload: {
        clusterId: 'aquila-us-east-1',
        trigger: 'merge',
        runNumber: 1,
        ...payload,
      },
    },
    { 'x-webhook-secret': config.webhook },
  );
}

// A webhook's deployment reaches an open cluster page without a reload,
// through the signals backend's WebSocket: well before the page's own
// minute refresh.
async function checkLive(page, appUrl, backendUrl) {
  const version = '9.9.7-live';
  await open(
    page,
    `${appUrl}/deployment-quality/clusters/aquila-us-east-1`,
    page.getByText('Cluster validations'),
  );
  const opened = Date.now();
  await sendDeployment(backendUrl, {
    serviceId: 'billing',
    buildVersion: version,
    gitSha: 'c1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4',
    status: 'SUCCESS',
    startedAt: iso(MIN / 2),
    endedAt: iso(MIN / 4),
  });
  const shown = await page
    .getByText(version)
    .first()
    .waitFor({ timeout: 40_000 })
    .then(() => true)
    .catch(() => false);
  const after = Date.now() - opened;
  assert(
    shown && after < 45_000,
    `an open cluster page shows a new deployment live (${(after / 1000).toFixed(
      1,
    )} s after it opened; its own refresh comes at 60 s)`,
  );
}

async function checkNotification(page, appUrl, backendUrl) {
  const version = '9.9.9-e2e';
  await sendDeployment(backendUrl, {
    serviceId: 'authn',
    buildVersion: version,
    gitSha: 'b1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4',
    status: 'FAILED',
    startedAt: iso(6 * MIN),
    endedAt: iso(4 * MIN),
    failureReason: 'readiness probe failed: connection refused',
  });
  const title = page.getByText(
    new RegExp(
      `${version.replace(/\./g, '\\.')} failed to deploy on Aquila US-East-1`,
    ),
  );
  await waitFor(
    'the failed production deployment as a notification of the guest',
    async () => {
      await page.goto(`${appUrl}/notifications`);
      return title
        .first()
        .waitFor({ timeout: 5_000 })
        .then(() => true)
        .catch(() => false);
    },
    60_000,
  );
  assert(
    (await page.getByText(/readiness probe/).count()) > 0,
    'the notification gives the failure reason',
  );
  await shot(page, 'notification');
}

// ---------------------------------------------------------------- demo
function seedDemo(backendUrl) {
  log('seeding the demo history (scripts/demo/seed.mjs)');
  const r = spawnSync(
    process.execPath,
    [
      join(repoRoot, 'scripts/demo/seed.mjs'),
      '--url',
      backendUrl,
      '--state',
      join(work, 'demo-seed.json'),
    ],
    { stdio: 'inherit', cwd: repoRoot, timeout: 180_000 },
  );
  if (r.status !== 0) throw new Error('the demo seed failed');
}

async function demoScreenshots(page, appUrl) {
  const entity = `${appUrl}/catalog/default/component/authentication-service`;
  await open(
    page,
    `${entity}/deployments`,
    page.getByText('Deployment attempts'),
  );
  await shot(page, 'deployments-tab');
  await page
    .getByRole('button', { name: /Details/ })
    .first()
    .click();
  await page
    .getByRole('dialog')
    .getByText(/Test runs/i)
    .first()
    .waitFor();
  await shot(page, 'build-detail-dialog', page.getByRole('dialog'));
  await page.keyboard.press('Escape');

  await open(
    page,
    `${entity}/quality`,
    page.getByText(/Deployment frequency/i),
  );
  await shot(page, 'quality-tab');
  const readiness = page.getByRole('region', {
    name: /^soundcheck: production readiness: /,
  });
  await readiness.waitFor();
  // MUI's class names carry a suffix in the app: match their prefix.
  const otherTools = page
    .locator('[class*="MuiCard-root"]')
    .filter({ has: readiness })
    .last();
  await otherTools.scrollIntoViewIfNeeded();
  await shot(page, 'external-scorecards', otherTools);
  const serviceCost = page
    .locator('[class*="MuiCard-root"]')
    .filter({ has: page.getByRole('list', { name: 'Cost in USD' }) })
    .last();
  await serviceCost.waitFor();
  await serviceCost.scrollIntoViewIfNeeded();
  await shot(page, 'cost', serviceCost);
  const flakyCard = page
    .locator('[class*="MuiCard-root"]')
    .filter({ hasText: 'Flaky tests' })
    .last();
  await flakyCard.waitFor();
  await flakyCard.scrollIntoViewIfNeeded();
  await shot(page, 'flaky-tests', flakyCard);
  await flakyCard
    .getByRole('button', { name: /^History of / })
    .first()
    .click();
  const testHistory = page.getByRole('dialog');
  await testHistory.getByText(/^Runs \(latest/).waitFor();
  await shot(page, 'test-history', testHistory);
  await page.keyboard.press('Escape');
  await testHistory.waitFor({ state: 'detached' });

  await open(page, entity, page.getByText(/Deployments/).first());
  // The dev server's overlay shows runtime errors of other cards; close it.
  const overlay = page.locator('iframe#webpack-dev-server-client-overlay');
  if (await overlay.count()) {
    await page.evaluate(() =>
      document.getElementById('webpack-dev-server-client-overlay')?.remove(),
    );
  }
  const card = page
    .locator('[class*="MuiCard-root"]')
    .filter({ has: page.getByRole('heading', { name: 'Deployments' }) });
  await card
    .first()
    .waitFor({ timeout: 30_000 })
    .catch(() => {});
  if (await card.count()) await shot(page, 'overview-card', card.first());
  else await shot(page, 'overview-card');
  await shot(page, 'entity-overview');

  await open(
    page,
    `${appUrl}/deployment-quality`,
    page.getByText('Cluster-regions'),
  );
  await page.getByText('Ingestion status').waitFor();
  await shot(page, 'page-overview');

  await open(
    page,
    `${appUrl}/deployment-quality/clusters/aquila-us-east-1`,
    page.getByText(/Aquila US-East-1/),
  );
  await shot(page, 'cluster-detail');
  const validations = page
    .locator('[class*="MuiPaper-root"]')
    .filter({ has: page.getByText('Cluster validations', { exact: true }) })
    .last();
  await validations.getByText('conformance').first().waitFor();
  await validations.scrollIntoViewIfNeeded();
  await shot(page, 'cluster-validations', validations);
  const clusterCost = page
    .locator('[class*="MuiCard-root"]')
    .filter({ has: page.getByRole('list', { name: 'Cost in USD' }) })
    .last();
  await clusterCost.waitFor();
  await clusterCost.scrollIntoViewIfNeeded();
  await shot(page, 'cluster-cost', clusterCost);

  // Build detail page: the cluster page's first attempt link.
  const build = page.locator('a[href*="/deployment-quality/builds/"]').first();
  await page.goto(`${appUrl}${await build.getAttribute('href')}`);
  await page
    .getByText(/Test runs/i)
    .first()
    .waitFor();
  await shot(page, 'build-detail');

  await open(
    page,
    `${appUrl}/deployment-quality/analytics`,
    page.getByText(/Deployment frequency/i),
  );
  await shot(page, 'analytics');
  const signatures = page
    .locator('[class*="MuiCard-root"]')
    .filter({ hasText: 'What is breaking builds' })
    .last();
  await signatures.waitFor();
  await signatures.scrollIntoViewIfNeeded();
  await shot(page, 'failure-signatures', signatures);

  await open(
    page,
    `${appUrl}/deployment-quality/scorecard`,
    page.getByRole('button', { name: /Export CSV/ }),
  );
  await shot(page, 'scorecard');

  for (const [rollup, name] of [
    ['group/team-identity', 'group-rollup'],
    ['system/payments', 'system-rollup'],
  ]) {
    await open(
      page,
      `${appUrl}/catalog/default/${rollup}/deployments`,
      page.getByText('Services per cluster-region'),
    );
    await shot(page, name);
  }

  // A phone: the tables become one card per row.
  await page.setViewportSize({ width: 390, height: 844 });
  await open(
    page,
    `${entity}/deployments`,
    page.getByText('Deployment attempts'),
  );
  // What a phone shows without scrolling: the matrix's first cards.
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(shotDir, 'phone-deployments-tab.png') });
  await page.setViewportSize({ width: 1440, height: 1000 });
}

// ---------------------------------------------------------------- fleet
/**
 * The benchmark's fleet, written into the plugin's SQLite file before the
 * backend opens it (the generator runs the plugin's migrations first).
 */
async function loadFleet() {
  const [{ default: knexFactory }, { generate }] = await Promise.all([
    import('knex'),
    import('../bench/generate.mjs'),
  ]);
  mkdirSync(join(work, 'sqlite'), { recursive: true });
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: join(work, 'sqlite', 'deployment-quality.sqlite') },
    useNullAsDefault: true,
  });
  try {
    const seconds = await generate(knex, {
      attempts: fleet * 20,
      services: fleet,
    });
    const [{ n }] = await knex('dq_service_clusters')
      .where('cluster_id', FLEET_CLUSTER)
      .count({ n: '*' });
    log(
      `fleet: ${fleet} services, ${
        fleet * 20
      } attempts loaded in ${seconds.toFixed(
        1,
      )}s; ${n} services on ${FLEET_CLUSTER}`,
    );
    return Number(n);
  } finally {
    await knex.destroy();
  }
}

/** The generator's busiest cluster-region. */
const FLEET_CLUSTER = 'mira-us-west-2';

/** Opens a view and answers the milliseconds until `ready` showed. */
async function timeToData(page, url, ready) {
  const t0 = performance.now();
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  await ready.first().waitFor({ state: 'visible', timeout: 60_000 });
  return Math.round(performance.now() - t0);
}

/**
 * Each fleet view, measured from navigation to its first row of data (the
 * SPA is already loaded and signed in, as for a user moving between
 * views), then checked: a page of 25 of the cluster's services, failures
 * first, a search that finds one service, the next page, the scorecard's
 * first page, the service filter's suggestions.
 */
async function fleetViews(page, appUrl, servicesOnCluster) {
  const paint = {};
  const base = `${appUrl}/deployment-quality`;
  paint.overview = await timeToData(
    page,
    base,
    page.getByText(/Mira US-West-2/),
  );

  // The services table comes first; the attempts table below lists
  // services too.
  const rows = page
    .locator('table')
    .first()
    .locator('tbody tr')
    .filter({ hasText: /svc-\d{4}/ });
  paint.cluster = await timeToData(
    page,
    `${base}/clusters/${FLEET_CLUSTER}`,
    rows,
  );
  await page.getByText(`1–25 of ${servicesOnCluster}`).waitFor();
  const first = await rows.first().innerText();
  assert(
    /Failed|Rolled back/.test(first),
    `the cluster page lists a failing service first: ${first.slice(0, 80)}`,
  );
  await shot(page, 'fleet-cluster');

  let t0 = performance.now();
  await page.getByRole('textbox', { name: 'Search services' }).fill('svc-0042');
  // One match: a single row, and no pages to turn.
  await page.getByRole('button', { name: 'Next page' }).waitFor({
    state: 'detached',
  });
  await rows.first().waitFor();
  assert(
    (await rows.count()) === 1 &&
      (await rows.first().innerText()).includes('svc-0042'),
    'the cluster search finds exactly svc-0042',
  );
  paint.clusterSearch = Math.round(performance.now() - t0);

  await page.getByRole('textbox', { name: 'Search services' }).fill('');
  await page.getByText(`1–25 of ${servicesOnCluster}`).waitFor();
  t0 = performance.now();
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByText(`26–50 of ${servicesOnCluster}`).waitFor();
  paint.clusterNextPage = Math.round(performance.now() - t0);

  t0 = performance.now();
  await page
    .getByRole('textbox', { name: 'Service', exact: true })
    .fill('svc-49');
  // The backend's answer to the search replaces the first suggestions.
  const suggestions = page.getByRole('listbox').getByRole('option');
  await suggestions.filter({ hasText: 'svc-49' }).first().waitFor();
  const texts = await suggestions.allInnerTexts();
  assert(
    texts.length >= 1 && texts.every(t => t.includes('svc-49')),
    `the service filter suggests only services matching svc-49 (${texts.length})`,
  );
  paint.serviceFilter = Math.round(performance.now() - t0);

  paint.scorecard = await timeToData(
    page,
    `${base}/scorecard`,
    page.locator('tr').filter({ hasText: /svc-\d{4}/ }),
  );
  await shot(page, 'fleet-scorecard');

  log(`fleet of ${fleet}: ms from navigation to data ${JSON.stringify(paint)}`);
  writeFileSync(
    join(shotDir, 'fleet-paint.json'),
    JSON.stringify({ services: fleet, servicesOnCluster, paint }, null, 2),
  );
  // A view that needs longer than this is unusable, whatever the machine.
  for (const [view, ms] of Object.entries(paint)) {
    assert(ms < 15_000, `${view} shows its data within 15 s (${ms} ms)`);
  }
}

/**
 * An AI agent in the portal: the guest's Backstage token, the MCP SDK's
 * client on the MCP actions backend, our tools on the events sent above.
 */
async function checkAgentTools(backendUrl) {
  const res = await fetch(
    `${backendUrl}/api/auth/guest/refresh?env=development`,
    { headers: { 'X-Requested-With': 'XMLHttpRequest' } },
  );
  const token = (await res.json())?.backstageIdentity?.token;
  assert(Boolean(token), 'the guest gets a Backstage token for an agent');
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import(
    '@modelcontextprotocol/sdk/client/streamableHttp.js'
  );
  const client = new Client({ name: 'dq-e2e-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(
      new URL(`${backendUrl}/api/mcp-actions/v1`),
      { requestInit: { headers: { Authorization: `Bearer ${token}` } } },
    ),
  );
  try {
    const { tools } = await client.listTools();
    const ours = tools.filter(t => t.name.startsWith('deployment-quality.'));
    assert(
      ours.length === 5,
      `the portal serves our ${ours.length} agent tools over MCP`,
    );
    const status = await client.callTool({
      name: 'deployment-quality.get-deployment-status',
      arguments: { entityRef: E2E.service },
    });
    const clusters = status.structuredContent?.clusters ?? [];
    assert(
      clusters.some(
        c =>
          c.clusterId === E2E.webhook.cluster &&
          c.currentVersion === E2E.webhook.version,
      ),
      `an agent reads ${E2E.service} ${E2E.webhook.version} running on ${E2E.webhook.cluster}`,
    );
  } finally {
    await client.close();
  }
}

// ---------------------------------------------------------------- main
let failed = false;
let pageForFailure;
try {
  ensureChromium(log);
  const servicesOnCluster = fleet ? await loadFleet() : 0;
  const { appUrl, backendUrl } = await startPortal();
  if (demo) seedDemo(backendUrl);
  else if (!fleet) await sendEvents(backendUrl);
  const page = await launchBrowser();
  page.on('pageerror', e => log(`page error: ${e.message}`));
  page.on('console', m => {
    if (m.type() === 'error' && !m.text().startsWith('Warning:'))
      log(`console: ${m.text().slice(0, 300)}`);
  });
  page.on('requestfailed', r => {
    // Navigating away aborts the previous page's requests.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED')
      log(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  pageForFailure = page;
  await signIn(page, appUrl);
  if (demo) await demoScreenshots(page, appUrl);
  else if (fleet) await fleetViews(page, appUrl, servicesOnCluster);
  else {
    await checkViews(page, appUrl);
    await checkNotification(page, appUrl, backendUrl);
    await checkAgentTools(backendUrl);
    await checkPhone(page, appUrl);
    await checkLaptop(page, appUrl);
    // Last: billing's new latest attempt would change what the checks
    // above read.
    await checkLive(page, appUrl, backendUrl);
  }
  log(
    `PASS in ${((Date.now() - started) / 1000).toFixed(
      1,
    )}s; screenshots in ${shotDir}`,
  );
} catch (e) {
  failed = true;
  log(`FAIL: ${e.stack ?? e}`);
  await pageForFailure
    ?.screenshot({ path: join(shotDir, 'failure.png'), fullPage: true })
    .then(() =>
      log(`screenshot of the failure: ${join(shotDir, 'failure.png')}`),
    )
    .catch(() => {});
  try {
    const tail = readFileSync(portalLog, 'utf8').split('\n').slice(-40);
    log(`the last 40 lines of the portal's log (all of it: ${portalLog}):`);
    console.error(tail.join('\n'));
  } catch {
    // no log
  }
} finally {
  clearTimeout(deadline);
  await stopAll();
}
process.exit(failed ? 1 : 0);
