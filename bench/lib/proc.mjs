// CPU time and memory of a process and its descendants, from /proc (Linux).
import { readdir, readFile } from 'node:fs/promises';

const TICKS_PER_SECOND = 100;

async function readStat(pid) {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), numbered from field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return {
      pid: Number(pid),
      ppid: Number(fields[1]),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
      rssMB: kb('VmRSS') / 1024,
      peakRssMB: kb('VmHWM') / 1024,
    };
  } catch {
    return undefined;
  }
}

/** Sums CPU seconds, resident and peak resident memory over `pid` and every process below it. */
export async function processTree(pid) {
  const all = (await Promise.all((await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(readStat))).filter(
    Boolean,
  );
  const inTree = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const entry of all) {
      if (!inTree.has(entry.pid) && inTree.has(entry.ppid)) {
        inTree.add(entry.pid);
        grew = true;
      }
    }
  }
  const members = all.filter((entry) => inTree.has(entry.pid));
  const sum = (key) => members.reduce((total, entry) => total + entry[key], 0);
  return { processes: members.length, cpuSeconds: sum('cpuSeconds'), rssMB: sum('rssMB'), peakRssMB: sum('peakRssMB') };
}
