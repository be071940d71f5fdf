import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EventLoopWatchdog } from '../../src/node/event-loop-watchdog.ts';
import { StallDetector } from '../../src/node/stall-detector.ts';
import type { ThreadSample } from '../../src/node/thread-state.ts';

describe('StallDetector', () => {
  it('reports a main thread that has not beaten for stallMs while the process ran', () => {
    const detector = new StallDetector({ stallMs: 1000, suspendedMs: 300 });
    expect(detector.observe(100, 100)).toBeNull();
    for (let now = 200; now < 1100; now += 100) expect(detector.observe(now, 100)).toBeNull();
    expect(detector.observe(1100, 100)).toBe(1000);
    expect(detector.observe(1200, 1150)).toBeNull();
  });

  it('does not count the time the whole process was suspended (SIGSTOP, a VM pause)', () => {
    const detector = new StallDetector({ stallMs: 1000, suspendedMs: 300 });
    expect(detector.observe(100, 100)).toBeNull();
    // Nothing ran for 5 s; the watchdog thread runs first after SIGCONT.
    expect(detector.observe(5100, 100)).toBeNull();
    expect(detector.observe(5200, 100)).toBeNull();
    // ...but a main thread that still does not beat afterwards is wedged.
    for (let now = 5300; now < 6100; now += 100) expect(detector.observe(now, 100)).toBeNull();
    expect(detector.observe(6100, 100)).toBe(1000);
  });
});

describe('EventLoopWatchdog', () => {
  it('sees a main thread blocked longer than stallMs (reported once the thread runs again)', async () => {
    const stalls: number[] = [];
    const watchdog = EventLoopWatchdog.start({
      stallMs: 600,
      intervalMs: 50,
      onStall: (ms) => stalls.push(ms),
    });
    try {
      // Let the worker start and observe a healthy loop first.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(stalls).toEqual([]);
      const blockedUntil = Date.now() + 1200;
      while (Date.now() < blockedUntil) {
        // a wedged event loop
      }
      const deadline = Date.now() + 5000;
      while (stalls.length === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(stalls.length).toBe(1);
      expect(stalls[0]).toBeGreaterThanOrEqual(600);
    } finally {
      await watchdog.stop();
    }
  });

  it('logs the main thread stack of a process wedged in JavaScript, then kills it', async () => {
    const { signal, lines } = await runFixture<{ stack?: string[] }>('wedged-process.ts');
    expect(signal).toBe('SIGKILL');
    expect(lines.map((line) => line.msg)).toEqual([
      'event loop stalled: killing the process (watchdog)',
      'event loop stalled: the main thread is here (watchdog)',
    ]);
    expect(lines[1]!.stack!.join('\n')).toContain('spinningRetryLoop');
  });

  it.runIf(process.platform === 'linux')(
    'kills a main thread spinning in native code once the probe finds it runs no JavaScript, not at the full stall time',
    async () => {
      const { signal, lines } = await runFixture<{ mainThread?: ThreadSample[] }>('native-spin-process.ts');
      expect(signal).toBe('SIGKILL');
      // The full stall time is a minute: only the probe's kill comes in the test's time.
      expect(lines.map((line) => line.msg)).toEqual([
        'event loop wedged in native code (no JavaScript runs, the CPU spins): killing the process (watchdog)',
      ]);
      expect(lines[0]!.mainThread!.map((sample) => sample.state)).toContain('R');
    },
  );

  it.runIf(process.platform === 'linux')(
    'logs what the kernel says of a main thread blocked in a system call, then kills it',
    async () => {
      // stdin is a pipe that is never written to: the child's read blocks until it is killed.
      const { signal, lines } = await runFixture<{ mainThread?: ThreadSample | null }>('blocked-process.ts');
      expect(signal).toBe('SIGKILL');
      expect(lines.map((line) => line.msg)).toEqual([
        'event loop stalled: killing the process (watchdog)',
        'event loop stalled: the main thread a second later (watchdog)',
      ]);
      for (const line of lines) {
        expect(line.mainThread?.state).toBe('S');
        expect(line.mainThread?.fdTarget).toMatch(/^(pipe|socket):/);
      }
      // Blocked, not spinning: no CPU time spent between the two samples (a tick of slack).
      const [first, second] = lines.map((line) => line.mainThread!);
      expect(second!.userTicks - first!.userTicks).toBeLessThanOrEqual(1);
    },
  );
});

/**
 * Runs a fixture process under the real watchdog until it exits; its stderr's JSON lines (the watchdog's).
 * Its stdin is a pipe nobody writes to (a fixture may block reading it).
 */
async function runFixture<T>(
  name: string,
): Promise<{ signal: NodeJS.Signals | null; lines: ({ msg: string } & T)[] }> {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, exitSignal) => resolve(exitSignal)),
  );
  child.stdin.destroy();
  const lines = stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string } & T);
  return { signal, lines };
}
