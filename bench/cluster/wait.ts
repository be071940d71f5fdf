// Waiting on a condition with a deadline (polling), the one way the benchmark waits for cluster state.

/** Polls `condition` every 25 ms until it returns true; throws after `timeoutMs` with the last error. */
export async function waitFor(
  what: string,
  timeoutMs: number,
  condition: () => Promise<boolean>,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError === null ? '' : `: ${String(lastError)}`}`,
      );
    await pause(25);
  }
}

/** A pause between retries (a backoff), never a way to wait for state. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves at `atMs` (performance.now() time), at once if that has passed: the pacing of a steady rate. */
export function pauseUntil(atMs: number): Promise<void> {
  const ms = atMs - performance.now();
  return ms <= 0 ? Promise.resolve() : pause(ms);
}
