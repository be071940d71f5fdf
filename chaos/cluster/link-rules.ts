import type { NodeId } from '../../raft/types.ts';

/**
 * A rule of the network: messages that match it are lost. A rule names the senders and receivers it
 * covers (null: every node), optionally only some message kinds, and optionally only one direction of
 * an RPC: "requests" (also one-way messages such as Raft's) or "responses". Partitions of every shape
 * are sets of rules (below); several may hold at once, and a message is lost while any matches.
 */
export interface LinkRule {
  readonly from: ReadonlySet<NodeId> | null;
  readonly to: ReadonlySet<NodeId> | null;
  readonly kinds: ReadonlySet<string> | null;
  readonly direction: 'requests' | 'responses' | 'both';
}

export interface Traffic {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly kind: string;
  readonly isResponse: boolean;
}

export function matches(rule: LinkRule, traffic: Traffic): boolean {
  if (rule.from !== null && !rule.from.has(traffic.from)) return false;
  if (rule.to !== null && !rule.to.has(traffic.to)) return false;
  if (rule.kinds !== null && !rule.kinds.has(traffic.kind)) return false;
  if (rule.direction === 'requests') return !traffic.isResponse;
  if (rule.direction === 'responses') return traffic.isResponse;
  return true;
}

function cut(from: readonly NodeId[], to: readonly NodeId[]): LinkRule {
  return { from: new Set(from), to: new Set(to), kinds: null, direction: 'both' };
}

/** Both directions between the two sides (a clean split: majority/minority, or any two groups). */
export function split(sideA: readonly NodeId[], sideB: readonly NodeId[]): LinkRule[] {
  return [cut(sideA, sideB), cut(sideB, sideA)];
}

/** One node cut off from every other. */
export function isolate(node: NodeId, all: readonly NodeId[]): LinkRule[] {
  return split(
    [node],
    all.filter((other) => other !== node),
  );
}

/**
 * Two sides that cannot talk, and one node that talks to both (the "bridge" of Jepsen's nemesis): it
 * can carry votes and heartbeats for both sides, the classic trap for leader leases and CheckQuorum.
 */
export function bridge(bridgeNode: NodeId, all: readonly NodeId[]): LinkRule[] {
  const others = all.filter((node) => node !== bridgeNode);
  const half = Math.floor(others.length / 2);
  return split(others.slice(0, half), others.slice(half));
}

/** Messages from `from` to `to` are lost; the other way works (an asymmetric failure, a bad NIC queue). */
export function oneWay(from: readonly NodeId[], to: readonly NodeId[]): LinkRule[] {
  return [cut(from, to)];
}

/** Only some kinds of message are lost, on every link (a proxy that drops one API), or only their responses. */
export function dropKinds(kinds: readonly string[], direction: LinkRule['direction']): LinkRule[] {
  return [{ from: null, to: null, kinds: new Set(kinds), direction }];
}
