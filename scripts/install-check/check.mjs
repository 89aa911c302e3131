#!/usr/bin/env node
// Installs the plugin suite into fresh Backstage apps as a platform team
// would, from the packed tarballs, and checks it works there:
//
//   1. builds the six packages (`backstage-cli repo build`) and packs each
//      (`yarn pack`, which runs `backstage-cli package prepack`);
//   2. for each template, a fresh app made by the current
//      `@backstage/create-app` (`--legacy` for the classic frontend) and
//      bumped to the registry's latest @backstage packages (see freshApp),
//      its install cached between runs (below);
//   3. adds the packages as a user does: the frontend plugin to
//      packages/app, the backend plugin and its two modules (with the
//      tech-insights backend they plug into) to packages/backend, one
//      `backend.add(...)` line each; on the new frontend system nothing
//      else (the app discovers plugins, `app.packages: all`), on the classic
//      one the Deployments tab in EntityPage.tsx. The registry is stood in
//      for by `resolutions` to the tarballs;
//   4. builds the app's frontend, starts its backend (which serves it), and
//      checks: a deployment sent to the webhook is stored; the entity route
//      answers it to a signed-in guest; Tech Insights (with the module's
//      example checks merged into the config) holds the entity's facts; in
//      Debian's Chromium the entity's Deployments tab shows the deployment.
//
//   node scripts/install-check/check.mjs [--apps new,legacy] [--cache DIR]
//        [--create-app VERSION] [--keep-running]
//
// The fresh apps live in DIR (default $XDG_CACHE_HOME/deployment-quality/
// install-check, else ~/.cache/...), one per create-app version and
// template; each run resets them to their first commit (`git reset --hard`,
// `git clean -fd`: node_modules stays) so only our packages are installed
// anew. Bounded: 45 minutes with a first install, 20 with a cached one.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliArgs } from '../lib/args.mjs';
import {
  freePorts,
  launchChromium,
  signInAsGuest,
  stopGroup,
  waitFor,
} from '../lib/harness.mjs';

const args = cliArgs(process.argv.slice(2).filter(a => a !== '--keep-running'));
const keepRunning = process.argv.includes('--keep-running');
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const started = Date.now();
const log = msg =>
  console.error(
    `[install-check ${((Date.now() - started) / 1000)
      .toFixed(1)
      .padStart(6)}s] ${msg}`,
  );

const CREATE_APP = args['create-app'] ?? '0.9.2';
const APPS = (args.apps ?? 'new,legacy').split(',');
const CACHE = resolve(
  args.cache ??
    join(
      process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
      'deployment-quality',
      'install-check',
    ),
);
const work = mkdtempSync(join(tmpdir(), 'dq-install-check-'));
const ENTITY = 'dq-install-check';
const CLUSTER = 'install-check-us-east-1';

const PLUGIN = '@deployment-quality/plugin-deployment-quality';
const BACKEND = `${PLUGIN}-backend`;
const SOURCES = `${PLUGIN}-backend-module-sources`;
const TECH_INSIGHTS = `${PLUGIN}-backend-module-tech-insights`;
const TECH_INSIGHTS_BACKEND =
  '@backstage-community/plugin-tech-insights-backend';

let backend;
const firstInstall = APPS.some(t => !existsSync(readyMarker(appDirOf(t))));
const deadline = setTimeout(async () => {
  log('FAIL: over the time limit');
  await stopGroup(backend);
  process.exit(1);
}, (firstInstall ? 45 : 20) * 60_000);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await stopGroup(backend);
    process.exit(130);
  });
}

// ---------------------------------------------------------------- commands
/** Runs a command to completion; its output goes to `logFile`. */
function run(cmd, cmdArgs, { cwd, logFile, env } = {}) {
  return new Promise((res, rej) => {
    const out = logFile ? createWriteStream(logFile, { flags: 'a' }) : null;
    const child = spawn(cmd, cmdArgs, {
      cwd,
      stdio: ['ignore', out ? 'pipe' : 'inherit', out ? 'pipe' : 'inherit'],
      env: { ...process.env, FORCE_COLOR: '0', ...env },
    });
    if (out) {
      child.stdout.pipe(out);
      child.stderr.pipe(out);
    }
    child.on('error', rej);
    child.on('exit', code =>
      code === 0
        ? res()
        : rej(
            new Error(
              `${cmd} ${cmdArgs.join(' ')} exited ${code}${
                logFile ? ` (see ${logFile})` : ''
              }`,
            ),
          ),
    );
  });
}

async function step(what, fn) {
  const t0 = Date.now();
  log(`${what} ...`);
  const result = await fn();
  log(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

const readJson = file => JSON.parse(readFileSync(file, 'utf8'));
const writeJson = (file, value) =>
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

// ---------------------------------------------------------------- our packages
async function packPackages() {
  const logFile = join(work, 'pack.log');
  await run('yarn', ['tsc'], { cwd: repoRoot, logFile });
  await run('yarn', ['backstage-cli', 'repo', 'build'], {
    cwd: repoRoot,
    logFile,
  });
  const packDir = join(work, 'packages');
  mkdirSync(packDir);
  const packages = [];
  for (const dir of readdirSync(join(repoRoot, 'plugins'))) {
    const manifest = readJson(join(repoRoot, 'plugins', dir, 'package.json'));
    const file = join(packDir, `${dir}.tgz`);
    await run('yarn', ['workspace', manifest.name, 'pack', '--out', file], {
      cwd: repoRoot,
      logFile,
    });
    packages.push({ name: manifest.name, version: manifest.version, file });
  }
  return packages;
}

// ---------------------------------------------------------------- fresh apps
function appDirOf(template) {
  return join(CACHE, `create-app-${CREATE_APP}-${template}`);
}
function readyMarker(appDir) {
  // Inside node_modules: git ignores it, so a reset keeps it.
  return join(appDir, 'node_modules', '.dq-install-check-ready-2');
}

const git = (appDir, gitArgs, logFile) =>
  run(
    'git',
    [
      '-c',
      'user.name=install-check',
      '-c',
      'user.email=install-check@localhost',
      ...gitArgs,
    ],
    { cwd: appDir, logFile },
  );

/** A fresh app of the template, installed once and reset on every run. */
async function freshApp(template, logFile) {
  const appDir = appDirOf(template);
  if (!existsSync(readyMarker(appDir))) {
    await step(
      `${template}: create-app ${CREATE_APP} and its first install`,
      async () => {
        rmSync(appDir, { recursive: true, force: true });
        mkdirSync(CACHE, { recursive: true });
        await run(
          'npx',
          [
            '--yes',
            `@backstage/create-app@${CREATE_APP}`,
            '--path',
            appDir,
            '--skip-install',
            ...(template === 'legacy' ? ['--legacy'] : []),
          ],
          { cwd: CACHE, logFile, env: { BACKSTAGE_APP_NAME: 'fresh-app' } },
        );
        // create-app commits only when git knows the user.
        if (!existsSync(join(appDir, '.git'))) {
          await git(appDir, ['init', '-q'], logFile);
          await git(appDir, ['add', '-A'], logFile);
          await git(appDir, ['commit', '-q', '-m', 'create-app'], logFile);
        }
        // Without GitHub, create-app can't fetch the yarn.lock seed that
        // pins its release's versions, so carets float to a mix of releases
        // that doesn't start (signals-backend 0.3.21 on backend-defaults
        // 0.18). Moved to the registry's latest, as `versions:bump` would,
        // the app is one release, the newest.
        await run(
          'node',
          [join(repoRoot, 'scripts/ops/bump-backstage.mjs'), '--root', appDir],
          { cwd: repoRoot, logFile },
        );
        await git(appDir, ['commit', '-qam', 'versions:bump'], logFile);
        await run('yarn', ['install', '--no-immutable'], {
          cwd: appDir,
          logFile,
        });
        // Its lockfile is part of the state each run resets to.
        await git(appDir, ['commit', '-qam', 'yarn install'], logFile);
        writeFileSync(readyMarker(appDir), `${new Date().toISOString()}\n`);
      },
    );
  } else {
    await git(appDir, ['reset', '-q', '--hard'], logFile);
    await git(appDir, ['clean', '-fdq'], logFile);
  }
  return appDir;
}

/** Adds our packages as a platform team would. */
function addPackages(appDir, template, packages) {
  // The registry, stood in for: each name resolves to its tarball. The
  // directory is named by their hash, so yarn never reuses a stale copy.
  const hash = createHash('sha256');
  for (const p of packages) hash.update(readFileSync(p.file));
  const dir = join('dq-packages', hash.digest('hex').slice(0, 12));
  mkdirSync(join(appDir, dir), { recursive: true });
  const root = readJson(join(appDir, 'package.json'));
  root.resolutions ??= {};
  const range = {};
  for (const p of packages) {
    const target = join(dir, `${p.name.split('/')[1]}.tgz`);
    copyFileSync(p.file, join(appDir, target));
    root.resolutions[p.name] = `file:./${target}`;
    range[p.name] = `^${p.version}`;
  }
  writeJson(join(appDir, 'package.json'), root);

  const ourTechInsights = readJson(
    join(
      repoRoot,
      'plugins',
      'deployment-quality-backend-module-tech-insights',
      'package.json',
    ),
  );
  const backendPkg = join(appDir, 'packages', 'backend', 'package.json');
  const be = readJson(backendPkg);
  Object.assign(be.dependencies, {
    [BACKEND]: range[BACKEND],
    [SOURCES]: range[SOURCES],
    [TECH_INSIGHTS]: range[TECH_INSIGHTS],
    [TECH_INSIGHTS_BACKEND]:
      ourTechInsights.dependencies?.[TECH_INSIGHTS_BACKEND] ??
      ourTechInsights.devDependencies[TECH_INSIGHTS_BACKEND],
  });
  writeJson(backendPkg, be);
  const index = join(appDir, 'packages', 'backend', 'src', 'index.ts');
  writeFileSync(
    index,
    readFileSync(index, 'utf8').replace(
      'backend.start();',
      [TECH_INSIGHTS_BACKEND, BACKEND, SOURCES, TECH_INSIGHTS]
        .map(name => `backend.add(import('${name}'));`)
        .concat('backend.start();')
        .join('\n'),
    ),
  );

  const appPkg = join(appDir, 'packages', 'app', 'package.json');
  const app = readJson(appPkg);
  app.dependencies[PLUGIN] = range[PLUGIN];
  writeJson(appPkg, app);
  if (template === 'legacy') {
    const entityPage = join(
      appDir,
      'packages/app/src/components/catalog/EntityPage.tsx',
    );
    const source = readFileSync(entityPage, 'utf8');
    const tab = `<EntityLayout.Route path="/ci-cd" title="CI/CD">`;
    if (!source.includes(tab)) throw new Error(`no ${tab} in ${entityPage}`);
    writeFileSync(
      entityPage,
      `import { EntityDeploymentsContent } from '${PLUGIN}';\n${source.replace(
        tab,
        `<EntityLayout.Route path="/deployments" title="Deployments">\n      <EntityDeploymentsContent />\n    </EntityLayout.Route>\n\n    ${tab}`,
      )}`,
    );
  }
}

// ---------------------------------------------------------------- the check
function writeConfig(appDir, port, secret) {
  const url = `http://127.0.0.1:${port}`;
  const entities = join(work, 'entities.yaml');
  writeFileSync(
    entities,
    `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${ENTITY}
  annotations:
    deployment-quality/service-id: ${ENTITY}
spec:
  type: service
  lifecycle: production
  owner: guests
`,
  );
  const file = join(work, 'app-config.install-check.yaml');
  writeFileSync(
    file,
    JSON.stringify({
      app: { baseUrl: url },
      backend: {
        baseUrl: url,
        listen: { port, host: '127.0.0.1' },
        cors: { origin: url },
      },
      catalog: {
        locations: [
          {
            type: 'file',
            target: join(appDir, 'examples', 'entities.yaml'),
          },
          { type: 'file', target: entities },
        ],
      },
      techInsights: {
        factRetrievers: {
          // Sooner than the example's half hour: first 20 s after
          // start (the deployment is in by then), then every minute.
          deploymentQualityFactRetriever: {
            cadence: '* * * * *',
            initialDelay: { seconds: 20 },
          },
        },
      },
      deploymentQuality: {
        clusters: [
          {
            id: CLUSTER,
            name: 'Install Check US-East-1',
            type: 'Production',
            role: 'Primary',
            region: 'us-east-1',
            description: 'The install check',
          },
        ],
        ingestion: {
          webhook: { keys: [{ name: 'install-check', secret }] },
        },
      },
    }),
  );
  return { url, file };
}

async function check(template, packages) {
  const logFile = join(work, `${template}.log`);
  log(`${template}: log ${logFile}`);
  const appDir = await freshApp(template, logFile);
  addPackages(appDir, template, packages);
  await step(`${template}: yarn install with our packages`, () =>
    // CI=true makes yarn refuse to change the lockfile; adding packages does.
    run('yarn', ['install', '--no-immutable'], { cwd: appDir, logFile }),
  );
  await step(`${template}: build the app's frontend`, () =>
    run('yarn', ['workspace', 'app', 'build'], { cwd: appDir, logFile }),
  );

  const [port] = await freePorts(1);
  const secret = randomBytes(24).toString('hex');
  const { url, file } = writeConfig(appDir, port, secret);
  const backendLog = join(work, `${template}-backend.log`);
  const out = createWriteStream(backendLog);
  backend = spawn(
    'yarn',
    [
      'workspace',
      'backend',
      'start',
      '--config',
      join(appDir, 'app-config.yaml'),
      '--config',
      file,
      // The module's example checks, from the installed package, as its
      // README says to merge them.
      '--config',
      join(appDir, 'node_modules', TECH_INSIGHTS, 'checks.example.yaml'),
    ],
    {
      cwd: appDir,
      detached: true, // its own process group, stopped as one
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    },
  );
  backend.stdout.pipe(out);
  backend.stderr.pipe(out);
  const alive = () => backend.exitCode === null;
  try {
    await step(`${template}: the backend starts (log ${backendLog})`, () =>
      waitFor(
        'the backend',
        async () => (await fetch(`${url}/.backstage/health/v1/readiness`)).ok,
        300_000,
        alive,
      ),
    );

    const version = `1.0.${Date.now() % 100000}`;
    const endedAt = new Date();
    const res = await fetch(`${url}/api/deployment-quality/ingest/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-webhook-secret': secret,
      },
      body: JSON.stringify({
        source: 'install-check',
        eventType: 'deployment',
        payload: {
          clusterId: CLUSTER,
          serviceId: ENTITY,
          buildVersion: version,
          gitSha: 'abc1234',
          status: 'SUCCESS',
          trigger: 'merge',
          startedAt: new Date(endedAt.getTime() - 120_000).toISOString(),
          endedAt: endedAt.toISOString(),
        },
      }),
    });
    const ingested = await res.json();
    if (res.status !== 202 || ingested.status !== 'stored') {
      throw new Error(
        `the webhook answered ${res.status}: ${JSON.stringify(ingested)}`,
      );
    }
    log(`ok: ${template}: the webhook stored ${ENTITY} ${version}`);

    const { backstageIdentity } = await (
      await fetch(`${url}/api/auth/guest/refresh`)
    ).json();
    const auth = { authorization: `Bearer ${backstageIdentity.token}` };
    let summary;
    await waitFor(
      `the entity route to answer ${version}`,
      async () => {
        const r = await fetch(
          `${url}/api/deployment-quality/entities/default/component/${ENTITY}/summary`,
          { headers: auth },
        );
        summary = await r.text();
        return r.ok && summary.includes(version);
      },
      180_000,
      alive,
    ).catch(e => {
      throw new Error(`${e.message}; last answer: ${summary}`);
    });
    log(`ok: ${template}: the entity route answers ${version} to a guest`);

    let facts;
    await waitFor(
      `the Tech Insights facts of ${ENTITY}`,
      async () => {
        const r = await fetch(
          `${url}/api/tech-insights/facts/latest?entity=component:default/${ENTITY}&ids[]=deploymentQualityFactRetriever`,
          { headers: auth },
        );
        facts = await r.text();
        return (
          r.ok &&
          JSON.parse(facts).deploymentQualityFactRetriever?.facts
            ?.deployments === 1
        );
      },
      120_000,
      alive,
    ).catch(e => {
      throw new Error(`${e.message}; last answer: ${facts}`);
    });
    log(`ok: ${template}: Tech Insights holds its facts (1 deployment)`);

    const browser = await launchChromium(log);
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(120_000);
      const tab = `${url}/catalog/default/component/${ENTITY}/deployments`;
      await step(
        `${template}: the entity's Deployments tab in Chromium`,
        async () => {
          await signInAsGuest(page, tab, page.getByText(ENTITY).first());
          await page.goto(tab, { waitUntil: 'domcontentloaded' });
          await page.getByText(version).first().waitFor();
          await page.getByText('Install Check US-East-1').first().waitFor();
        },
      );
      await page.screenshot({
        path: join(work, `${template}-deployments-tab.png`),
        fullPage: true,
      });
      log(
        `ok: ${template}: the Deployments tab shows ${version} (screenshot in ${work})`,
      );
    } finally {
      await browser.close();
    }
  } finally {
    if (!keepRunning) await stopGroup(backend);
  }
}

try {
  const packages = await step('build and pack the six packages', packPackages);
  for (const template of APPS) await check(template, packages);
  log(`PASS: ${APPS.join(' and ')} app(s), create-app ${CREATE_APP}`);
  clearTimeout(deadline);
  if (keepRunning) log(`backend left running (pid group ${backend.pid})`);
} catch (error) {
  log(`FAIL: ${error.stack ?? error}`);
  await stopGroup(backend);
  process.exit(1);
}
