// SASL PLAIN's one message (RFC 4616): `[authzid] NUL authcid NUL passwd`, UTF-8. Kafka's PlainSaslServer
// checks it against a JAAS file; ours checks the same users and passwords as SCRAM (the credentials of
// the metadata log), so one `kafka-configs --alter --add-config 'SCRAM-SHA-256=[password=...]'` serves
// both mechanisms and HTTP Basic.

export interface PlainMessage {
  readonly user: string;
  readonly password: string;
}

/** The message's user and password; a string saying what is wrong when it is malformed. */
export function parsePlainMessage(message: Buffer): PlainMessage | string {
  const first = message.indexOf(0);
  const second = first < 0 ? -1 : message.indexOf(0, first + 1);
  if (first < 0 || second < 0 || message.indexOf(0, second + 1) >= 0)
    return 'a PLAIN message is [authzid] NUL user NUL password';
  const authzid = message.subarray(0, first).toString('utf8');
  const user = message.subarray(first + 1, second).toString('utf8');
  const password = message.subarray(second + 1).toString('utf8');
  if (user === '') return 'the PLAIN user name is empty';
  if (password === '') return 'the PLAIN password is empty';
  // Kafka's rule: authorizing as someone else is not served.
  if (authzid !== '' && authzid !== user) return 'the PLAIN authorization id is not the user name';
  return { user, password };
}
