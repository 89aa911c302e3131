// Who used the machine's CPU over a span, in cores: the backend (its reader
// threads included), PostgreSQL's processes, this bench process (the load
// generator and the direct side) and anything else. A route that serves
// slower in one run than in another then says whether something beside it
// took the cores.
import { readFileSync, readdirSync } from 'node:fs';
import { statFields } from './proc.mjs';

const TICKS_PER_SECOND = 100;

function machineTicks() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/);
  const [user, nice, system, , iowait, irq, softirq, steal] =
    fields.map(Number);
  return { busy: user + nice + system + irq + softirq + steal, iowait };
}

function processTicks(pid) {
  const fields = statFields(pid);
  return fields && Number(fields[11]) + Number(fields[12]);
}

function postgresTicks() {
  const ticks = new Map();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') {
        continue;
      }
    } catch {
      continue;
    }
    const t = processTicks(pid);
    if (t !== undefined) ticks.set(pid, t);
  }
  return ticks;
}

function snapshot(backendPid) {
  return {
    at: performance.now(),
    machine: machineTicks(),
    backend: backendPid ? processTicks(backendPid) ?? 0 : 0,
    postgres: postgresTicks(),
    bench: processTicks(process.pid) ?? 0,
  };
}

/**
 * Starts measuring; the returned function ends it and answers cores used
 * on average: { busy, iowait, backend, database, bench, other }.
 */
export function cpuMeter(backendPid) {
  const start = snapshot(backendPid);
  return () => {
    const end = snapshot(backendPid);
    const seconds = (end.at - start.at) / 1000;
    const cores = ticks => ticks / TICKS_PER_SECOND / seconds;
    let database = 0;
    // A connection opened meanwhile counts from zero; one closed is lost.
    for (const [pid, t] of end.postgres)
      database += t - (start.postgres.get(pid) ?? 0);
    const busy = cores(end.machine.busy - start.machine.busy);
    const used = {
      backend: cores(end.backend - start.backend),
      database: cores(database),
      bench: cores(end.bench - start.bench),
    };
    return {
      busy,
      iowait: cores(end.machine.iowait - start.machine.iowait),
      ...used,
      other: Math.max(0, busy - used.backend - used.database - used.bench),
    };
  };
}

/** "backend 1.2, database 0.5, bench 0.3, other 0.0 of 2 cores busy". */
export function formatCpu(c) {
  const f = x => x.toFixed(2);
  return `CPU cores: backend ${f(c.backend)}, database ${f(
    c.database,
  )}, bench ${f(c.bench)}, other ${f(c.other)} (busy ${f(c.busy)}, iowait ${f(
    c.iowait,
  )})`;
}
