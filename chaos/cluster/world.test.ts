import { describe, expect, it } from 'vitest';
import { type NodeId, nodeId } from '../../raft/types.ts';
import { sleep } from '../../src/replication/timers.ts';
import { MS } from '../sim/scheduler.ts';
import { dropKinds, isolate, oneWay } from './link-rules.ts';
import { type NetworkNode, RpcTimeoutError } from './rpc-network.ts';
import { SimProcess } from './sim-process.ts';
import { World } from './world.ts';

// The world on its own: asynchronous handlers on simulated timers, RPCs with timeouts, rules that lose
// some messages, crashes and pauses; and the same seed giving the same trace.

type EchoProtocol = {
  echo: { request: { value: number }; response: { value: number; by: number } };
  note: { request: string; response: never };
};

const NETWORK = { minDelayUs: 200, maxDelayUs: 3_000 };

function echoWorld(seed: number) {
  const world = new World<EchoProtocol>({ seed, network: NETWORK, eventsMax: 1_000_000 });
  const ids = [1, 2, 3].map(nodeId);
  const handled: string[] = [];
  const processes = new Map<NodeId, SimProcess>();
  for (const id of ids) {
    const process = new SimProcess(`node-${id}`, world.scheduler, id * 7);
    const random = world.root.fork(`node-${id}`);
    const node: NetworkNode<EchoProtocol> = {
      process,
      handle: async (kind, from, request) => {
        handled.push(`${id}:${kind}:${from}`);
        if (kind === 'note') return undefined as never;
        // Asynchronous work on the process's own clock: the answer comes after a simulated delay.
        const controller = new AbortController();
        await sleep(process.timers, random.between(1, 5), controller.signal);
        return { value: (request as { value: number }).value * 2, by: id };
      },
    };
    process.start();
    processes.set(id, process);
    world.network.attach(id, node);
  }
  return { world, ids, handled, processes };
}

async function runClients(seed: number): Promise<{ digest: string; answers: string[] }> {
  const { world, ids, processes } = echoWorld(seed);
  const answers: string[] = [];
  const random = world.root.fork('clients');
  for (let i = 0; i < 200; i++) {
    world.scheduler.at(i * 500, () => {
      const from = random.pick(ids);
      const to = random.pick(ids);
      if (!processes.get(from)!.alive) return;
      world.network.call(from, to, 'echo', { value: i }, 20).then(
        (answer) => answers.push(`${i}:${answer.value}:${answer.by}`),
        (error: unknown) => answers.push(`${i}:${(error as Error).name}`),
      );
    });
  }
  world.scheduler.at(20 * MS, () =>
    world.network.addFaults({ drop: 0.2, duplicate: 0.2, extraDelayUs: 5 * MS }),
  );
  world.scheduler.at(40 * MS, () => world.network.addRules(isolate(ids[0]!, ids)));
  world.scheduler.at(60 * MS, () => processes.get(ids[1]!)!.pause());
  world.scheduler.at(70 * MS, () => processes.get(ids[1]!)!.resume());
  await world.runUntil(200 * MS, () => {});
  return { digest: world.trace.digest(), answers };
}

describe('the simulated world', () => {
  it('replays a seed to the same trace, and another seed differs', async () => {
    const first = await runClients(11);
    const second = await runClients(11);
    const other = await runClients(12);
    expect(second.digest).toBe(first.digest);
    expect(second.answers).toEqual(first.answers);
    expect(other.digest).not.toBe(first.digest);
    expect(first.answers.filter((answer) => answer.endsWith('RpcTimeoutError')).length).toBeGreaterThan(0);
    expect(first.answers.filter((answer) => !answer.endsWith('Error')).length).toBeGreaterThan(50);
  });

  it('loses only what a rule matches: one way, or only responses of one kind', async () => {
    const { world, ids } = echoWorld(3);
    const [a, b] = [ids[0]!, ids[1]!];
    world.network.addRules(oneWay([a], [b]));
    const outcomes: string[] = [];
    const record = (label: string) => (p: Promise<unknown>) =>
      p.then(
        () => outcomes.push(`${label}:ok`),
        (error: unknown) =>
          outcomes.push(`${label}:${error instanceof RpcTimeoutError ? 'timeout' : 'error'}`),
      );
    record('a->b')(world.network.call(a, b, 'echo', { value: 1 }, 50));
    record('b->a')(world.network.call(b, a, 'echo', { value: 1 }, 50));
    await world.runUntil(100 * MS, () => {});
    // a->b: the request never arrives. b->a: the request arrives, but a's answer to b is lost too.
    expect(outcomes.sort()).toEqual(['a->b:timeout', 'b->a:timeout']);

    world.network.healAll();
    world.network.addRules(dropKinds(['echo'], 'responses'));
    outcomes.length = 0;
    record('responses-lost')(world.network.call(a, b, 'echo', { value: 1 }, 50));
    world.network.send(a, b, 'note', 'hello');
    await world.runUntil(200 * MS, () => {});
    expect(outcomes).toEqual(['responses-lost:timeout']);
  });

  it('drops the timers and answers of a crashed incarnation, and defers those of a paused process', async () => {
    const { world, ids, processes } = echoWorld(5);
    const process = processes.get(ids[0]!)!;
    const fired: string[] = [];
    process.timers.setTimeout(() => fired.push('before-crash'), 10);
    process.crash({ hostDown: false });
    process.start();
    process.timers.setTimeout(() => fired.push('paused'), 10);
    process.pause();
    await world.runUntil(50 * MS, () => {});
    expect(fired).toEqual([]);
    process.resume();
    expect(fired).toEqual(['paused']);
  });

  it('refuses a request to a killed process at once, and leaves one to a host without power unanswered', async () => {
    const { world, ids, processes } = echoWorld(9);
    processes.get(ids[1]!)!.crash({ hostDown: false });
    processes.get(ids[2]!)!.crash({ hostDown: true });
    const outcomes: string[] = [];
    for (const to of [ids[1]!, ids[2]!]) {
      world.network.call(ids[0]!, to, 'echo', { value: 1 }, 50).then(
        () => outcomes.push(`${to}:ok`),
        (error: unknown) => outcomes.push(`${to}:${(error as Error).name}@${world.nowMs()}`),
      );
    }
    await world.runUntil(100 * MS, () => {});
    expect(outcomes[0]).toMatch(/^2:ConnectionRefusedError@\d/);
    expect(Number(outcomes[0]!.split('@')[1])).toBeLessThan(10);
    expect(outcomes[1]).toBe('3:RpcTimeoutError@50');
  });

  it('fires a timer armed while the clock was slow when the local clock reaches its deadline', async () => {
    const { world, ids, processes } = echoWorld(5);
    const process = processes.get(ids[0]!)!;
    process.setRate(0.25);
    let firedAtMs: number | null = null;
    process.timers.setTimeout(() => {
      firedAtMs = world.nowMs();
    }, 100);
    // 10 ms of simulated time at 0.25x is 2.5 ms of local time; then 97.5 local ms remain at 1x.
    world.scheduler.at(10 * MS, () => process.setRate(1));
    await world.runUntil(1000 * MS, () => {});
    expect(firedAtMs).toBe(107.5);
  });

  it('runs a process clock at its rate', async () => {
    const { world, ids, processes } = echoWorld(5);
    const fast = processes.get(ids[0]!)!;
    fast.setRate(2);
    const startMs = fast.timers.nowMs();
    await world.runUntil(100 * MS, () => {});
    expect(fast.timers.nowMs() - startMs).toBe(200);
  });
});
