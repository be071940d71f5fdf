// The reducer's part for the security records (ACLs, SCRAM credentials, client quotas): pure functions
// from a SecurityImage and a record to the next SecurityImage, sharing every map they do not change.
// Invariants (asserted, as the rest of the reducer does: the controller never writes a record that breaks
// one): ACL ids are unique and every stored binding is valid (acl-rules.ts) — that no two ACLs hold the
// same binding is the controller's rule (checking it here would cost a scan per record); a removal names an ACL, credential or quota that exists; credentials have a user name and at least one
// iteration; quotas are positive and finite.

import { assert } from '../../raft/assert.ts';
import type { QuotaKey, ScramCredential, ScramMechanism, SecurityImage } from '../common/security.ts';
import { aclBindingProblem } from './acl-rules.ts';
import type {
  AccessControlEntryRecord,
  ClientQuotaRecord,
  RemoveAccessControlEntryRecord,
  RemoveUserScramCredentialRecord,
  UserScramCredentialRecord,
} from './records.ts';

export type SecurityRecord =
  | AccessControlEntryRecord
  | RemoveAccessControlEntryRecord
  | UserScramCredentialRecord
  | RemoveUserScramCredentialRecord
  | ClientQuotaRecord;

/** The key of `SecurityImage.clientQuotas` for a user entity: '' is the default entity. */
export function quotaEntityKey(user: string | null): string {
  return user ?? '';
}

export function applySecurityRecord(security: SecurityImage, record: SecurityRecord): SecurityImage {
  switch (record.type) {
    case 'accessControlEntry': {
      const { type: _type, ...entry } = record;
      assert(!security.acls.has(entry.id), 'duplicate ACL id', { record });
      const problem = aclBindingProblem(entry);
      assert(problem === null, () => `bad ACL: ${problem}`, { record });
      return { ...security, acls: new Map(security.acls).set(entry.id, entry) };
    }
    case 'removeAccessControlEntry': {
      assert(security.acls.has(record.id), 'removal of an unknown ACL', { record });
      const acls = new Map(security.acls);
      acls.delete(record.id);
      return { ...security, acls };
    }
    case 'userScramCredential': {
      const { type: _type, name, ...credential } = record;
      assert(name.length > 0, 'SCRAM credential of no user', {
        record: { name, iterations: record.iterations },
      });
      assert(credential.iterations > 0, 'SCRAM credential without iterations', { name });
      const mechanisms = new Map<ScramMechanism, ScramCredential>(security.scramCredentials.get(name));
      mechanisms.set(credential.mechanism, credential);
      return { ...security, scramCredentials: new Map(security.scramCredentials).set(name, mechanisms) };
    }
    case 'removeUserScramCredential': {
      const current = security.scramCredentials.get(record.name);
      assert(current?.has(record.mechanism) === true, 'removal of an unknown SCRAM credential', { record });
      const mechanisms = new Map(current);
      mechanisms.delete(record.mechanism);
      const scramCredentials = new Map(security.scramCredentials);
      if (mechanisms.size === 0) scramCredentials.delete(record.name);
      else scramCredentials.set(record.name, mechanisms);
      return { ...security, scramCredentials };
    }
    case 'clientQuota': {
      assert(record.user === null || record.user.length > 0, 'quota of an empty user name', { record });
      const entity = quotaEntityKey(record.user);
      const quotas = new Map<QuotaKey, number>(security.clientQuotas.get(entity));
      if (record.value === null) {
        assert(quotas.has(record.key), 'removal of an unknown quota', { record });
        quotas.delete(record.key);
      } else {
        assert(Number.isFinite(record.value) && record.value > 0, 'quota is not a positive number', {
          record,
        });
        quotas.set(record.key, record.value);
      }
      const clientQuotas = new Map(security.clientQuotas);
      if (quotas.size === 0) clientQuotas.delete(entity);
      else clientQuotas.set(entity, quotas);
      return { ...security, clientQuotas };
    }
  }
}
