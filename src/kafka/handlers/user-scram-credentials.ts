// DescribeUserScramCredentials (50) and AlterUserScramCredentials (51), KIP-554: describes read this
// node's image (mechanisms and iterations, never salts or keys); alterations carry salted passwords to the
// active controller, which answers per user with Kafka's errors (security-decisions.ts).
import { SCRAM_MECHANISMS } from '../../common/security.ts';
import { alterUserScramCredentialsApi, describeUserScramCredentialsApi } from '../protocol/generated/apis.ts';
import type { AlterUserScramCredentialsRequest } from '../protocol/generated/alter-user-scram-credentials-request.ts';
import {
  type AlterUserScramCredentialsResponse,
  defaultAlterUserScramCredentialsResponse,
} from '../protocol/generated/alter-user-scram-credentials-response.ts';
import type { DescribeUserScramCredentialsRequest } from '../protocol/generated/describe-user-scram-credentials-request.ts';
import {
  type DescribeUserScramCredentialsResponse,
  defaultDescribeUserScramCredentialsResponse,
} from '../protocol/generated/describe-user-scram-credentials-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { requireCluster } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer, NONE } from './error-codes.ts';

/** Kafka's ScramMechanism by type byte; anything else is a name the controller refuses. */
function mechanismName(code: number): string {
  for (const [name, value] of Object.entries(SCRAM_MECHANISMS)) if (value === code) return name;
  return `UNKNOWN(${code})`;
}

export function describeUserScramCredentialsHandler(
  broker: KafkaBroker,
): ApiHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> {
  return {
    codec: describeUserScramCredentialsApi,
    async handle(request, context) {
      const response = defaultDescribeUserScramCredentialsResponse();
      try {
        requireCluster(broker, context, 'DESCRIBE');
        const users = request.users === null ? null : request.users.map((user) => user.name);
        const descriptions = await broker.admin.describeUserScramCredentials(users);
        return {
          ...response,
          results: descriptions.map(({ user, error, credentials }) => ({
            user,
            errorCode: error?.code ?? NONE,
            errorMessage: error?.message ?? null,
            credentialInfos: credentials.map(({ mechanism, iterations }) => ({
              mechanism: SCRAM_MECHANISMS[mechanism],
              iterations,
            })),
          })),
        };
      } catch (error) {
        const answer = errorAnswer(error, context.logger, 'describing SCRAM credentials failed');
        return { ...response, errorCode: answer.code, errorMessage: answer.message };
      }
    },
  };
}

export function alterUserScramCredentialsHandler(
  broker: KafkaBroker,
): ApiHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> {
  return {
    codec: alterUserScramCredentialsApi,
    async handle(request, context) {
      const upsertions = request.upsertions.map((upsertion) => ({
        user: upsertion.name,
        mechanism: mechanismName(upsertion.mechanism),
        iterations: upsertion.iterations,
        salt: Buffer.from(upsertion.salt),
        saltedPassword: Buffer.from(upsertion.saltedPassword),
      }));
      const deletions = request.deletions.map((deletion) => ({
        user: deletion.name,
        mechanism: mechanismName(deletion.mechanism),
      }));
      try {
        requireCluster(broker, context, 'ALTER');
        const results = await broker.admin.alterUserScramCredentials(upsertions, deletions);
        return {
          ...defaultAlterUserScramCredentialsResponse(),
          results: results.map(({ user, error }) => ({
            user,
            errorCode: error?.code ?? NONE,
            errorMessage: error?.message ?? null,
          })),
        };
      } catch (error) {
        const answer = errorAnswer(error, context.logger, 'altering SCRAM credentials failed');
        const users = [...new Set([...deletions, ...upsertions].map((alteration) => alteration.user))];
        return {
          ...defaultAlterUserScramCredentialsResponse(),
          results: users.map((user) => ({ user, errorCode: answer.code, errorMessage: answer.message })),
        };
      }
    },
  };
}
