// Kafka's UUID fields (topic ids, directory ids) are 16 bytes on the wire; in messages they are the
// standard lower-case text form, as topic ids are everywhere else in this project (src/metadata/ids.ts).

/** Kafka's Uuid.ZERO_UUID: the default of every uuid field, "no id". */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}

/** The text form of 32 lower-case hex digits. */
export function uuidFromHex(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
