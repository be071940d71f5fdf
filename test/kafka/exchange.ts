// Requests through the listener's dispatcher as a client sends them: framed bytes in (header at the
// version's header version, body by the generated codec), the response frame decoded back. So a test
// covers the header, the dispatch and the encoding of every field at the version asked.
import { anonymousSession, type Session } from '../../src/common/security.ts';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { decodeResponseFrame, requestFrame } from '../../chaos/cluster/kafka-frames.ts';
import type { ApiCodec } from '../../src/kafka/protocol/codec-support.ts';
import type { DispatchOutcome, RequestDispatcher } from '../../src/kafka/server/request-dispatch.ts';

export { decodeResponseFrame, requestFrame };

export const silent: Logger = pino({ level: 'silent' });

let nextCorrelationId = 1;

/** Sends `request` at `version` through `dispatcher`; the decoded response, or the outcome when there is none. */
export async function exchange<Request, Response>(
  dispatcher: RequestDispatcher,
  codec: ApiCodec<Request, Response>,
  version: number,
  request: Request,
  session: Session = anonymousSession('127.0.0.1'),
): Promise<Response | Exclude<DispatchOutcome, { kind: 'response' }>> {
  const correlationId = nextCorrelationId++;
  const outcome = await dispatcher.dispatch(requestFrame(codec, version, request, correlationId), {
    address: 'test:1',
    session,
    logger: silent,
  });
  if (outcome.kind !== 'response') return outcome;
  const decoded = decodeResponseFrame(codec, version, outcome.frame);
  if (decoded.correlationId !== correlationId) throw new Error('the response has another correlation id');
  return decoded.response;
}

/** The response of an exchange that must have one. */
export async function answer<Request, Response>(
  dispatcher: RequestDispatcher,
  codec: ApiCodec<Request, Response>,
  version: number,
  request: Request,
  session?: Session,
): Promise<Response> {
  const result = await exchange(dispatcher, codec, version, request, session);
  if (
    typeof result === 'object' &&
    result !== null &&
    'kind' in result &&
    (result.kind === 'close' || result.kind === 'none')
  )
    throw new Error(`no response: ${JSON.stringify(result)}`);
  return result as Response;
}
