import { createBackend } from '@backstage/backend-defaults';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

// The plugin alone, with an in-memory catalog: what `yarn start` in this
// package runs, and what the reliability scripts and the benchmark start and
// kill. DQ_DEV_CATALOG names a JSON file of entities for the catalog (the
// benchmark's fleet); without it the catalog is empty.
const entities = process.env.DQ_DEV_CATALOG
  ? JSON.parse(readFileSync(process.env.DQ_DEV_CATALOG, 'utf8'))
  : [];

// With DQ_EVENT_LOOP_REPORT set, SIGUSR2 prints how long the event loop was
// held since the last report (ms) and starts a new one: the benchmark's
// figure per phase. With DQ_CPU_PROFILE_DIR set too, each report also ends
// a CPU profile of the same span, written before the report names it
// (`profile`), and starts the next: a profile holds one phase, not the start.
const profiles = process.env.DQ_CPU_PROFILE_DIR;
const profiler = profiles ? new Session() : undefined;
let profileNumber = 0;
if (profiler) {
  profiler.connect();
  profiler.post('Profiler.enable', () => profiler.post('Profiler.start'));
}
/** Ends the running profile, writes it, starts the next; its file. */
const nextProfile = () =>
  new Promise<string | undefined>(resolve => {
    if (!profiler) {
      resolve(undefined);
      return;
    }
    profiler.post('Profiler.stop', (error, result) => {
      let file: string | undefined;
      if (!error) {
        file = join(profiles!, `${++profileNumber}.cpuprofile`);
        writeFileSync(file, JSON.stringify(result.profile));
      }
      profiler.post('Profiler.start');
      resolve(file);
    });
  });
if (process.env.DQ_EVENT_LOOP_REPORT) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on('SIGUSR2', async () => {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const report = {
      p50: ms(delay.percentile(50)),
      p99: ms(delay.percentile(99)),
      max: ms(delay.max),
      memoryMiB: Object.fromEntries(
        Object.entries(process.memoryUsage()).map(([k, v]) => [
          k,
          Math.round(v / 2 ** 20),
        ]),
      ),
    };
    delay.reset();
    const profile = await nextProfile();
    process.stdout.write(
      `DQ_EVENT_LOOP ${JSON.stringify({ ...report, profile })}\n`,
    );
  });
}

const backend = createBackend();
backend.add(catalogServiceMock.factory({ entities }));
backend.add(import('../src'));
backend.start();
