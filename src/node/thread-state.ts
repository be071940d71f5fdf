// What the kernel says a thread of this process is doing (Linux /proc): for the watchdog, when the main
// thread is stuck outside JavaScript and the inspector cannot give its stack. Two samples a little apart
// tell a thread blocked in a system call (state S or D, the same syscall, no CPU time spent) from one
// spinning in native code (state R, CPU time growing).
import { readFileSync, readlinkSync } from 'node:fs';

export interface ThreadSample {
  /** R running, S sleeping, D uninterruptible (disk), T stopped... */
  readonly state: string;
  /** User and system CPU time so far, in clock ticks (normally 1/100 s). */
  readonly userTicks: number;
  readonly systemTicks: number;
  /** The system call it is in, by x86-64/arm64 number, or 'running' (user space), or null if unknown. */
  readonly syscall: string | null;
  /** Where in the kernel it sleeps (wchan), or null. */
  readonly wchan: string | null;
  /** What the system call's first argument names, when it is a file descriptor (a pipe, a socket, a file). */
  readonly fdTarget: string | null;
}

/** Parses /proc/.../stat: the command name is in parentheses and may hold spaces or parentheses. */
export function parseStat(text: string): { state: string; userTicks: number; systemTicks: number } {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc stat line: ${text.slice(0, 80)}`);
  // Fields after the name: 3 state, 4 ppid, ... 14 utime, 15 stime (1-based, as in proc(5)).
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  return { state: fields[0] ?? '?', userTicks: Number(fields[11]), systemTicks: Number(fields[12]) };
}

/** Reads one sample of thread `tid` of this process; null where /proc is not there (not Linux). */
export function sampleThread(tid: number): ThreadSample | null {
  const dir = `/proc/self/task/${tid}`;
  let stat: ReturnType<typeof parseStat>;
  try {
    stat = parseStat(readFileSync(`${dir}/stat`, 'utf8'));
  } catch {
    return null;
  }
  const syscallLine = readOrNull(`${dir}/syscall`);
  const [number, firstArg] = syscallLine?.split(' ') ?? [];
  let fdTarget: string | null = null;
  if (number !== undefined && number !== 'running' && firstArg !== undefined) {
    const fd = Number.parseInt(firstArg, 16);
    if (Number.isInteger(fd) && fd >= 0 && fd < 1_000_000) {
      try {
        fdTarget = readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        fdTarget = null;
      }
    }
  }
  return {
    ...stat,
    syscall: number ?? null,
    wchan: readOrNull(`${dir}/wchan`),
    fdTarget,
  };
}

function readOrNull(path: string): string | null {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text === '' || text === '0' ? null : text;
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * Whether two samples `elapsedMs` apart show a thread spinning: running, and busy (user and system time)
 * for at least half of the time between them. A thread blocked in a system call, or stopped, is not.
 */
export function spinning(
  first: ThreadSample | null,
  second: ThreadSample | null,
  elapsedMs: number,
): boolean {
  if (first === null || second === null || second.state !== 'R') return false;
  const busyTicks = second.userTicks + second.systemTicks - first.userTicks - first.systemTicks;
  return busyTicks >= (elapsedMs / 1000) * TICKS_PER_SECOND * 0.5;
}
