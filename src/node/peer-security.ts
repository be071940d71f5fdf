// A node's peers, secured as its config says: for each internal listener (INTERNAL and the named ones)
// the gate that admits connections (TLS with client certificates when the listener is SSL; the peer
// preface when TLS is on or internal.auth.secret is set), and for each listener name the dialer the node
// uses to reach that listener on other nodes (the same TLS and preface). With neither TLS nor a secret
// the gates are null and the dialers plain: today's open h2c.

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { type PeerDialer, peerDialer } from '../../raft/transport/peer-dialer.ts';
import { PeerGate } from '../../raft/transport/peer-gate.ts';
import { encodePreface, PrefaceVerifier } from '../../raft/transport/peer-preface.ts';
import type { NodeConfig } from './config.ts';
import { clientTlsOptions, type SecurityMaterial, serverTlsOptions } from './tls-material.ts';

export class PeerSecurity {
  private readonly config: NodeConfig;
  private readonly clusterId: string;
  private readonly material: SecurityMaterial;
  private readonly logger: Logger;
  private readonly gates = new Map<string, PeerGate | null>();
  private readonly dialers = new Map<string, PeerDialer>();

  constructor(options: {
    config: NodeConfig;
    clusterId: string;
    material: SecurityMaterial;
    logger: Logger;
  }) {
    this.config = options.config;
    this.clusterId = options.clusterId;
    this.material = options.material;
    this.logger = options.logger;
  }

  /** Whether connections to listener `name` carry the peer preface. */
  private needsPreface(name: string): boolean {
    return this.material.internalSecret !== null || this.material.listeners.has(name);
  }

  /** The gate of internal listener `name`; null = open h2c (no TLS, no secret). */
  gate(name: string): PeerGate | null {
    if (!this.gates.has(name)) {
      const tls = this.material.listeners.get(name);
      const gate = !this.needsPreface(name)
        ? null
        : new PeerGate(
            {
              tls: tls === undefined ? null : serverTlsOptions(tls),
              verifier: new PrefaceVerifier({
                clusterId: this.clusterId,
                secret: this.material.internalSecret,
              }),
            },
            this.logger.child({ listener: name }),
          );
      this.gates.set(name, gate);
    }
    return this.gates.get(name)!;
  }

  /** How this node dials listener `name` of other nodes (the cluster's listeners are alike). */
  dialer(name: string): PeerDialer {
    let dialer = this.dialers.get(name);
    if (dialer === undefined) {
      const tls = this.material.listeners.get(name);
      const secret = this.material.internalSecret;
      dialer = peerDialer({
        tls: tls === undefined ? null : clientTlsOptions(tls),
        preface: !this.needsPreface(name)
          ? null
          : () =>
              encodePreface(
                {
                  clusterId: this.clusterId,
                  nodeId: this.config.nodeId,
                  unixMs: Date.now(),
                  nonce: randomBytes(16).toString('hex'),
                },
                secret,
              ),
      });
      this.dialers.set(name, dialer);
    }
    return dialer;
  }

  /** Connections refused by every internal listener so far. */
  refused(): number {
    let total = 0;
    for (const gate of this.gates.values()) total += gate?.refused ?? 0;
    return total;
  }
}
