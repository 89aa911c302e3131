// Peak resident memory of the backend: the process the harness started
// and every descendant are sampled and the largest counts, so it holds
// whether the backend runs directly or under a launcher.
import { readdirSync, readFileSync } from 'node:fs';
import { statFields } from './proc.mjs';

function parentOf(pid) {
  const fields = statFields(pid);
  return fields && Number(fields[1]);
}

function rssKiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? 0);
  } catch {
    return 0; // exited between listing and reading
  }
}

/** The process and all its descendants. */
function tree(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentOf(Number(name));
    if (ppid === undefined) continue;
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const out = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.pop();
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * Samples every `intervalMs` the backends it is told about; `peakMiB` is
 * the largest single-process RSS seen, overall and per label (phase).
 */
export function rssWatcher(intervalMs = 250) {
  const roots = new Set();
  let label = 'start';
  const peaks = {};
  const sample = () => {
    for (const root of roots) {
      for (const pid of tree(root)) {
        const mib = rssKiB(pid) / 1024;
        if (mib > (peaks[label] ?? 0)) peaks[label] = mib;
      }
    }
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    watch(pid) {
      roots.add(pid);
    },
    unwatch(pid) {
      sample();
      roots.delete(pid);
    },
    /** Names the phase the next samples belong to. */
    phase(name) {
      sample();
      label = name;
    },
    peaks: () => ({ ...peaks }),
    peakMiB: () => Math.max(0, ...Object.values(peaks)),
    stop() {
      sample();
      clearInterval(timer);
    },
  };
}
