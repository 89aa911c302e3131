// A process's line of /proc/<pid>/stat, split into the fields after its
// command name (which may hold spaces and parentheses): [0] is the state,
// [1] the parent pid, [11] and [12] user and system CPU ticks. Undefined
// once the process is gone.
import { readFileSync } from 'node:fs';

export function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
