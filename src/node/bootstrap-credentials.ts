// The node's bootstrap SCRAM credentials (`--add-scram`, the flag of Kafka's `kafka-storage format`,
// KIP-900): parsed and checked here, and turned into the credentials that the first controller of a new
// metadata log writes (src/metadata/controller/security-decisions.ts, decideBootstrapCredentials).

import { credentialFromPassword, SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN } from '../common/scram.ts';
import type { ScramMechanism } from '../common/security.ts';
import { SCRAM_MECHANISMS } from '../common/security.ts';
import type { BootstrapCredential } from '../metadata/controller/security-decisions.ts';
import { ConfigError } from './config.ts';

/** One `--add-scram` value. */
export interface BootstrapScramSpec {
  readonly mechanism: ScramMechanism;
  readonly user: string;
  readonly password: string;
  readonly iterations: number;
}

function isMechanism(name: string): name is ScramMechanism {
  return Object.hasOwn(SCRAM_MECHANISMS, name);
}

const SPEC = /^(SCRAM-SHA-256|SCRAM-SHA-512)=\[(.*)\]$/;

/**
 * `--add-scram 'SCRAM-SHA-256=[name=admin,password=admin-secret]'`, with an optional `iterations=N`
 * (default 4096), as Kafka's kafka-storage. Names and passwords may be in double quotes (then they may
 * hold commas).
 */
export function parseScramSpec(raw: string): BootstrapScramSpec {
  const fail = (reason: string): never => {
    throw new ConfigError(
      '--add-scram',
      raw.replace(/password=("[^"]*"|[^,\]]*)/, 'password=[hidden]'),
      reason,
    );
  };
  const match = SPEC.exec(raw.trim());
  if (match === null)
    return fail(`expected SCRAM-SHA-256=[name=<user>,password=<password>] (or SCRAM-SHA-512)`);
  const fields = new Map<string, string>();
  const body = match[2]!;
  const field = /\s*([a-z]+)=("([^"]*)"|[^,]*)\s*(,|$)/gy;
  let position = 0;
  while (position < body.length) {
    field.lastIndex = position;
    const part = field.exec(body);
    if (part === null) return fail('expected key=value pairs separated by commas');
    const key = part[1]!;
    if (fields.has(key)) fail(`${key} is given twice`);
    fields.set(key, part[3] ?? part[2]!);
    position = field.lastIndex;
  }
  for (const key of fields.keys())
    if (!['name', 'password', 'iterations'].includes(key))
      fail(`unknown key ${key} (name, password, iterations)`);
  const user = fields.get('name') ?? '';
  const password = fields.get('password') ?? '';
  if (user.length === 0) fail('name is missing');
  if (password.length === 0) fail('password is missing');
  const iterationsText = fields.get('iterations') ?? String(SCRAM_ITERATIONS_MIN);
  const iterations = Number(iterationsText);
  if (
    !/^[0-9]+$/.test(iterationsText) ||
    iterations < SCRAM_ITERATIONS_MIN ||
    iterations > SCRAM_ITERATIONS_MAX
  )
    fail(`iterations must be a whole number in [${SCRAM_ITERATIONS_MIN}, ${SCRAM_ITERATIONS_MAX}]`);
  const mechanism = match[1]!;
  if (!isMechanism(mechanism)) return fail(`unknown mechanism ${mechanism}`);
  return { mechanism, user, password, iterations };
}

/** The credentials of the bootstrap specs, each with a fresh random salt (the password is not kept). */
export function bootstrapCredentials(specs: readonly BootstrapScramSpec[]): BootstrapCredential[] {
  return specs.map((spec) => ({
    user: spec.user,
    credential: credentialFromPassword(spec.mechanism, spec.password, spec.iterations),
  }));
}
