import type { NodeId } from '../../raft/types.ts';
import type { Prng } from '../sim/prng.ts';
import type { Microseconds, Scheduler } from '../sim/scheduler.ts';
import { type LinkRule, matches, type Traffic } from './link-rules.ts';
import type { SimProcess } from './sim-process.ts';
import type { Trace } from './trace.ts';

/** Message kinds and their bodies: one-way messages have no response (`response: never`). */
export type Protocol = Record<string, { readonly request: unknown; readonly response: unknown }>;

/** A node as the network sees it: its process (crash, pause) and what it does with what arrives. */
export interface NetworkNode<P extends Protocol> {
  readonly process: SimProcess;
  /** Answers one request; a rejection travels back to the caller as the call's rejection. */
  handle<K extends keyof P & string>(
    kind: K,
    from: NodeId,
    request: P[K]['request'],
  ): Promise<P[K]['response']>;
  /** A connection from `peer` closed: its process died and its host's kernel reset its sockets. */
  peerClosed?(peer: NodeId): void;
}

/** An RPC that got no answer within its timeout (dropped, cut, or the server died or paused). */
export class RpcTimeoutError extends Error {
  override readonly name = 'RpcTimeoutError';
}

/** The RPC reached a running host whose server process is not (ECONNREFUSED: the host answers at once). */
export class ConnectionRefusedError extends Error {
  override readonly name = 'ConnectionRefusedError';
}

/** A window of lossy network on every link; overlapping windows take the maximum of each field. */
export interface LinkFaults {
  readonly drop: number;
  readonly duplicate: number;
  /** Extra delay sampled in [0, extraDelayUs]: long enough to reorder messages on a link. */
  readonly extraDelayUs: Microseconds;
}

export interface NetworkConfig {
  readonly minDelayUs: Microseconds;
  readonly maxDelayUs: Microseconds;
}

export interface NetworkStats {
  sent: number;
  dropped: number;
  duplicated: number;
  delivered: number;
}

type Outcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/**
 * The simulated network between server processes: one-way messages (Raft) and request/response RPCs
 * (controller, fetch, ...). Every message, request or response, gets a sampled delay (so messages on
 * one link reorder), may be dropped or duplicated, and is lost while a rule (link-rules.ts) matches it,
 * checked at send and again at delivery. A delivery goes through the receiving process (crash, pause);
 * a response reaches the caller only in the incarnation that called.
 */
export class RpcNetwork<P extends Protocol> {
  private readonly scheduler: Scheduler;
  private readonly random: Prng;
  private readonly config: NetworkConfig;
  private readonly trace: Trace;
  private readonly nodes = new Map<NodeId, NetworkNode<P>>();
  private readonly rules = new Map<number, readonly LinkRule[]>();
  private readonly faultWindows = new Map<number, LinkFaults>();
  private nextHandle = 1;
  readonly stats: NetworkStats = { sent: 0, dropped: 0, duplicated: 0, delivered: 0 };

  private readonly notDuplicated: ReadonlySet<string>;

  constructor(options: {
    scheduler: Scheduler;
    random: Prng;
    config: NetworkConfig;
    trace: Trace;
    /** Kinds of message the network never duplicates. */
    notDuplicated?: readonly string[];
  }) {
    this.notDuplicated = new Set(options.notDuplicated ?? []);
    this.scheduler = options.scheduler;
    this.random = options.random;
    this.config = options.config;
    this.trace = options.trace;
  }

  attach(id: NodeId, node: NetworkNode<P>): void {
    this.nodes.set(id, node);
  }

  /** Adds rules that lose matching messages until heal(handle). */
  addRules(rules: readonly LinkRule[]): number {
    const handle = this.nextHandle++;
    this.rules.set(handle, rules);
    return handle;
  }

  heal(handle: number): void {
    this.rules.delete(handle);
    this.faultWindows.delete(handle);
  }

  addFaults(faults: LinkFaults): number {
    const handle = this.nextHandle++;
    this.faultWindows.set(handle, faults);
    return handle;
  }

  /** Every link works again and nothing more is lost (messages in flight still land). */
  healAll(): void {
    this.rules.clear();
    this.faultWindows.clear();
  }

  isLost(traffic: Traffic): boolean {
    for (const rules of this.rules.values())
      for (const rule of rules) if (matches(rule, traffic)) return true;
    return false;
  }

  /**
   * The process on `from` was killed while its host stays up: its kernel resets every connection it had,
   * and each peer sees the close after a network delay, unless the link is cut (the reset is lost, as
   * any packet). A host that loses power resets nothing: its peers find out by timeouts only.
   */
  processKilled(from: NodeId): void {
    for (const [to, node] of this.nodes) {
      if (to === from || node.peerClosed === undefined) continue;
      const traffic = { from, to, kind: 'connection-reset', isResponse: false };
      if (this.isLost(traffic)) continue;
      const incarnation = node.process.incarnation;
      // The smallest delay, drawing nothing from the network's random stream: what a seed's other
      // messages do stays as it was before resets were modelled.
      this.scheduler.after(this.config.minDelayUs, () => {
        if (this.isLost(traffic)) return;
        this.trace.record('deliver', traffic.kind, from, to);
        node.process.run(incarnation, () => node.peerClosed?.(from));
      });
    }
  }

  /** A one-way message; `from` is the sending process, which must be running. */
  send<K extends keyof P & string>(from: NodeId, to: NodeId, kind: K, body: P[K]['request']): void {
    this.transmit({ from, to, kind, isResponse: false }, () => {
      const target = this.nodes.get(to);
      if (target === undefined) return;
      target.process.run(target.process.incarnation, () => {
        void target.handle(kind, from, body).catch(() => undefined);
      });
    });
  }

  /**
   * An RPC from a process on `from` to `to`: rejects with RpcTimeoutError after `timeoutMs` of the
   * caller's clock without an answer. A duplicated request runs twice; the first answer wins.
   */
  call<K extends keyof P & string>(
    from: NodeId,
    to: NodeId,
    kind: K,
    request: P[K]['request'],
    timeoutMs: number,
  ): Promise<P[K]['response']> {
    const caller = this.nodes.get(from);
    if (caller === undefined) return Promise.reject(new Error(`network: no node ${from}`));
    return new Promise((resolve, reject) => {
      let settled = false;
      const cancel = caller.process.timers.setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(new RpcTimeoutError(`${kind} from ${from} to ${to}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const answer = caller.process.bind((outcome: Outcome<P[K]['response']>) => {
        if (settled) return;
        settled = true;
        cancel();
        if (outcome.ok) resolve(outcome.value);
        else reject(outcome.error);
      });
      this.transmit({ from, to, kind, isResponse: false }, () => this.serve(from, to, kind, request, answer));
    });
  }

  private serve<K extends keyof P & string>(
    from: NodeId,
    to: NodeId,
    kind: K,
    request: P[K]['request'],
    answer: (outcome: Outcome<P[K]['response']>) => void,
  ): void {
    const server = this.nodes.get(to);
    if (server === undefined) return;
    if (!server.process.alive) {
      // A host without power answers nothing: the caller waits for its timeout.
      if (!server.process.hostUp) return;
      const error = new ConnectionRefusedError(`${kind} from ${from} to ${to}: connection refused`);
      this.transmit({ from: to, to: from, kind, isResponse: true }, () => answer({ ok: false, error }));
      return;
    }
    const incarnation = server.process.incarnation;
    server.process.run(incarnation, () => {
      const reply = (outcome: Outcome<P[K]['response']>) =>
        // A server that died (or restarted) since the request arrived sends nothing.
        server.process.run(incarnation, () =>
          this.transmit({ from: to, to: from, kind, isResponse: true }, () => answer(outcome)),
        );
      server.handle(kind, from, request).then(
        (value) => reply({ ok: true, value }),
        (error: unknown) => reply({ ok: false, error }),
      );
    });
  }

  private transmit(traffic: Traffic, deliver: () => void): void {
    this.stats.sent++;
    const faults = this.currentFaults();
    if (this.isLost(traffic) || this.random.chance(faults.drop)) {
      this.stats.dropped++;
      this.trace.record('drop', traffic.kind, traffic.from, traffic.to);
      return;
    }
    this.schedule(traffic, faults, deliver);
    if (this.duplicable(traffic) && this.random.chance(faults.duplicate)) {
      this.stats.duplicated++;
      this.schedule(traffic, faults, deliver);
    }
  }

  /**
   * Whether the network may deliver this message twice. Not a client's produce: it travels over TCP, and
   * sending it again is the client's decision (its history counts it then), never the network's.
   */
  private duplicable(traffic: Traffic): boolean {
    return !this.notDuplicated.has(traffic.kind);
  }

  private schedule(traffic: Traffic, faults: LinkFaults, deliver: () => void): void {
    let delay = this.random.between(this.config.minDelayUs, this.config.maxDelayUs);
    if (faults.extraDelayUs > 0) delay += this.random.nextInt(faults.extraDelayUs + 1);
    this.scheduler.after(delay, () => {
      if (this.isLost(traffic)) {
        this.stats.dropped++;
        this.trace.record('cut', traffic.kind, traffic.from, traffic.to);
        return;
      }
      this.stats.delivered++;
      this.trace.record(traffic.isResponse ? 'response' : 'deliver', traffic.kind, traffic.from, traffic.to);
      deliver();
    });
  }

  private currentFaults(): LinkFaults {
    let drop = 0;
    let duplicate = 0;
    let extraDelayUs = 0;
    for (const window of this.faultWindows.values()) {
      drop = Math.max(drop, window.drop);
      duplicate = Math.max(duplicate, window.duplicate);
      extraDelayUs = Math.max(extraDelayUs, window.extraDelayUs);
    }
    return { drop, duplicate, extraDelayUs };
  }
}
