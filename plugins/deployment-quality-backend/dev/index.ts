import { createBackend } from '@backstage/backend-defaults';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { readFileSync } from 'node:fs';
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
// figure per phase.
if (process.env.DQ_EVENT_LOOP_REPORT) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on('SIGUSR2', () => {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    process.stdout.write(
      `DQ_EVENT_LOOP ${JSON.stringify({
        p50: ms(delay.percentile(50)),
        p99: ms(delay.percentile(99)),
        max: ms(delay.max),
        memoryMiB: Object.fromEntries(
          Object.entries(process.memoryUsage()).map(([k, v]) => [
            k,
            Math.round(v / 2 ** 20),
          ]),
        ),
      })}\n`,
    );
    delay.reset();
  });
}

const backend = createBackend();
backend.add(catalogServiceMock.factory({ entities }));
backend.add(import('../src'));
backend.start();
