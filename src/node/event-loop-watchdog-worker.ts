// The watchdog thread of event-loop-watchdog.ts: observes the main thread's beats and, on a stall,
// writes one line to stderr (synchronously: the main thread's logger cannot run), then the main thread's
// JavaScript stack when it can be had, else what the kernel says of the thread, and kills the process.
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { Session } from 'node:inspector';
import { parentPort, workerData } from 'node:worker_threads';
import { LAST_BEAT, STALLED_AT } from './event-loop-watchdog.ts';
import { StallDetector } from './stall-detector.ts';
import { sampleThread, spinning } from './thread-state.ts';

interface WatchdogData {
  readonly shared: Float64Array;
  readonly stallMs: number;
  readonly intervalMs: number;
  readonly nativeStallMs: number;
  readonly kill: boolean;
}

/** How long the probe of a stalled main thread waits for the inspector's pause, and between its looks. */
const PROBE_MS = 1_000;

/** KRAFTLING_WATCHDOG_GDB=1 (diagnosis): gdb's native stack of a wedged main thread before the kill. */
const NATIVE_STACK = process.env.KRAFTLING_WATCHDOG_GDB === '1';

/** How long the main thread's stack may take to come before the kill. */
const STACK_WAIT_MS = NATIVE_STACK ? 12_000 : 2_000;

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly location: { readonly lineNumber: number; readonly columnNumber?: number };
}

const data = workerData as WatchdogData;
// A pause is a gap of several missed looks (at least a second), and always shorter than a stall.
const suspendedMs = Math.min(data.stallMs / 2, Math.max(4 * data.intervalMs, 1000));
const detector = new StallDetector({ stallMs: data.stallMs, suspendedMs });
const probing = data.kill && data.nativeStallMs < data.stallMs;
const earlyDetector = probing
  ? new StallDetector({
      stallMs: data.nativeStallMs,
      suspendedMs: Math.min(data.nativeStallMs / 2, suspendedMs),
    })
  : null;
/** The last beat of the stall already probed (one probe per stall). */
let probedBeat: number | null = null;

const logLine = (fields: Record<string, unknown>): void => {
  writeSync(2, `${JSON.stringify({ level: 60, time: Date.now(), pid: process.pid, ...fields })}\n`);
};

/**
 * Pauses the main thread through the inspector (the pause is taken at its next JavaScript stack check, so
 * only a thread running JavaScript, such as a loop of promises that settle at once, gives its stack; one
 * stuck in native code does not) and logs where it is: the cause of the stall, as a JVM's thread dump.
 */
function logMainThreadStack(): void {
  try {
    const session = new Session();
    session.connectToMainThread();
    session.once('Debugger.paused', (message) => {
      const frames = (message.params as { callFrames: CallFrame[] }).callFrames;
      logLine({
        msg: 'event loop stalled: the main thread is here (watchdog)',
        stack: frames.map((f) => `${f.functionName || '(anonymous)'} ${f.url}:${f.location.lineNumber + 1}`),
      });
      process.kill(process.pid, 'SIGKILL');
    });
    session.post('Debugger.enable', () => session.post('Debugger.pause'));
  } catch (error) {
    logLine({ msg: `event loop stalled: no stack (${String(error)})` });
  }
}

/**
 * With KRAFTLING_WATCHDOG_GDB=1 (diagnosis), the main thread's native stack from gdb, for a thread stuck
 * in C++ that the inspector cannot pause: gdb writes it to stderr (this process's), and the kill waits
 * for it. Not waited for here: gdb stops every thread of the process while it reads, this one too.
 */
function logNativeStack(): void {
  logLine({ msg: 'event loop stalled: the main thread native stack follows (watchdog, gdb)' });
  const gdb = spawn(
    'gdb',
    // No .gdbinit, no debuginfod (it would wait on the network for symbols).
    ['-nx', '-p', String(process.pid), '-batch', '-ex', 'set debuginfod enabled off'].concat([
      '-ex',
      'thread 1',
      '-ex',
      'bt 40',
    ]),
    { stdio: ['ignore', 2, 2], env: { ...process.env, DEBUGINFOD_URLS: '' } },
  );
  gdb.on('error', (error) => logLine({ msg: `event loop stalled: no native stack (${String(error)})` }));
}

/**
 * A main thread stalled for nativeStallMs: asks the inspector to pause it. A thread running JavaScript
 * pauses at its next stack check, and is resumed at once (left to the full stall time: it may be long
 * work). One that does not pause within a second while it spins on the CPU runs no JavaScript at all:
 * wedged in native code, it would spin until the full stall time for nothing.
 */
function probe(stalledMs: number, beat: number): void {
  const first = sampleThread(process.pid);
  let paused = false;
  try {
    const session = new Session();
    session.connectToMainThread();
    session.once('Debugger.paused', () => {
      paused = true;
      session.post('Debugger.resume', () => session.post('Debugger.disable', () => session.disconnect()));
    });
    session.post('Debugger.enable', () => session.post('Debugger.pause'));
  } catch (error) {
    logLine({ msg: `event loop stalled: no probe (${String(error)})` });
    return;
  }
  setTimeout(() => {
    const second = sampleThread(process.pid);
    if (paused || data.shared[LAST_BEAT] !== beat || data.shared[STALLED_AT] !== 0) return;
    if (!spinning(first, second, PROBE_MS)) return;
    data.shared[STALLED_AT] = Date.now();
    logLine({
      stalledMs: stalledMs + PROBE_MS,
      mainThread: [first, second],
      msg: 'event loop wedged in native code (no JavaScript runs, the CPU spins): killing the process (watchdog)',
    });
    if (NATIVE_STACK) logNativeStack();
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), NATIVE_STACK ? STACK_WAIT_MS : 0);
  }, PROBE_MS);
}

setInterval(() => {
  const beat = data.shared[LAST_BEAT]!;
  const early = earlyDetector?.observe(Date.now(), beat) ?? null;
  if (early !== null && probedBeat !== beat && data.shared[STALLED_AT] === 0) {
    probedBeat = beat;
    probe(early, beat);
  }
  const stalledMs = detector.observe(Date.now(), data.shared[LAST_BEAT]!);
  if (stalledMs === null || data.shared[STALLED_AT] !== 0) return;
  data.shared[STALLED_AT] = Date.now();
  if (!data.kill) {
    parentPort?.postMessage(stalledMs);
    return;
  }
  // The main thread's id is the process id. What the kernel says it does, now and a second later,
  // is all there is of a thread stuck in native code (a system call, or a loop in C++).
  logLine({
    stalledMs,
    mainThread: sampleThread(process.pid),
    msg: 'event loop stalled: killing the process (watchdog)',
  });
  logMainThreadStack();
  setTimeout(() => {
    logLine({
      mainThread: sampleThread(process.pid),
      msg: 'event loop stalled: the main thread a second later (watchdog)',
    });
    if (NATIVE_STACK) logNativeStack();
  }, 1_000);
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), STACK_WAIT_MS);
}, data.intervalMs);
