// What the scripts that run real processes and a real browser share: free
// loopback ports, stopping a process group, waiting on a condition, and
// Debian's Chromium driven by playwright-core.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

export const CHROMIUM = '/usr/bin/chromium';

export const sleep = ms => new Promise(r => setTimeout(r, ms));

// Every port is held open until all are known: releasing the first before
// asking for the second lets the kernel hand out the same port twice.
export async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      server.unref();
      servers.push(server);
      await new Promise((res, rej) => {
        server.on('error', rej);
        server.listen(0, '127.0.0.1', res);
      });
    }
    return servers.map(server => server.address().port);
  } finally {
    await Promise.all(servers.map(s => new Promise(r => s.close(() => r()))));
  }
}

/**
 * Polls `check` every half second until it holds; fails when `alive()` says
 * the process it waits on has exited, or after `timeoutMs`.
 */
export async function waitFor(what, check, timeoutMs, alive = () => true) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`the process exited before ${what}`);
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/**
 * SIGTERM to a detached child's whole process group, SIGKILL after 15 s;
 * then whatever of the group outlived its leader (backstage-cli's children
 * may, for a moment).
 */
export async function stopGroup(child) {
  if (!child) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise(r => child.once('exit', r));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const stopped = await Promise.race([
      exited.then(() => true),
      sleep(15_000).then(() => false),
    ]);
    if (!stopped) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  try {
    process.kill(-child.pid, 0);
    await sleep(1000);
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // the group is gone
  }
}

/** Installs Debian's chromium with apt-get when it is missing (needs root). */
export function ensureChromium(log) {
  if (existsSync(CHROMIUM)) return;
  log(`${CHROMIUM} is missing: installing Debian's chromium with apt-get`);
  const opts = {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  };
  let r = spawnSync('apt-get', ['install', '-y', 'chromium'], opts);
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], opts);
    r = spawnSync('apt-get', ['install', '-y', 'chromium'], opts);
  }
  if (r.status !== 0 || !existsSync(CHROMIUM)) {
    throw new Error('could not install chromium with apt-get (needs root)');
  }
}

/** Debian's Chromium, headless, through playwright-core. */
export async function launchChromium(log) {
  ensureChromium(log);
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * The guest sign-in of a Backstage app: one click on "Enter" (when the app
 * asks), then waits for `signedIn` to show.
 */
export async function signInAsGuest(page, url, signedIn) {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  const enter = page.getByRole('button', { name: 'Enter' });
  await Promise.race([
    enter.waitFor({ timeout: 120_000 }),
    signedIn.waitFor({ timeout: 120_000 }),
  ]);
  if (await enter.isVisible()) await enter.click();
  await signedIn.waitFor();
}
