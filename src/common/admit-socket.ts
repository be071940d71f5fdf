// The one place a listener applies its ConnectionLimiter to an accepted socket: refused, the socket is
// destroyed at once (Kafka closes it without a word: there is no protocol yet to answer in); admitted,
// its slot is released when it closes. Shared by the client API, Kafka and internal listeners.
import type { Socket } from 'node:net';
import type { ConnectionLimiter } from './connection-limits.ts';

/** What a refusal is logged through (pino's debug). */
export interface RefusalLog {
  debug(fields: object, message: string): void;
}

/** True when `socket` may be served; false when it was refused and destroyed. */
export function admitSocket(limiter: ConnectionLimiter | null, socket: Socket, log: RefusalLog): boolean {
  if (limiter === null) return true;
  const ip = socket.remoteAddress ?? '';
  const admission = limiter.admit(ip);
  if (!admission.admitted) {
    log.debug(
      { listener: limiter.listener, client: ip, reason: admission.reason, limit: limiter.limitFor(ip) },
      'connection refused: over the connection limit',
    );
    socket.destroy();
    return false;
  }
  socket.once('close', admission.release);
  return true;
}
