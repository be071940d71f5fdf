// The test ports: distinct within a process, claimed against other processes, a dead process's claim
// taken over.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claim, freePort } from './free-port.ts';

const CLAIMS = join(tmpdir(), 'kraftling-test-ports');

describe('freePort', () => {
  it('never hands out a port twice, and claims each for this process', async () => {
    const ports = [];
    for (let i = 0; i < 100; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(100);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(32_768);
      expect(readFileSync(join(CLAIMS, String(port)), 'utf8')).toBe(String(process.pid));
    }
  });

  it("refuses a live process's claim and takes over a dead one's", async () => {
    mkdirSync(CLAIMS, { recursive: true });
    const port = await freePort();
    expect(claim(port)).toBe(false); // ours already
    const exited = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    writeFileSync(join(CLAIMS, String(port)), String(exited));
    expect(claim(port)).toBe(true);
    expect(readFileSync(join(CLAIMS, String(port)), 'utf8')).toBe(String(process.pid));
    writeFileSync(join(CLAIMS, String(port)), String(process.ppid)); // alive: the parent
    expect(claim(port)).toBe(false);
  });
});
