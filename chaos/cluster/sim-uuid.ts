import type { Prng } from '../sim/prng.ts';

/** A version-4 UUID from a seeded stream (randomUUID() would make a run differ from its replay). */
export function seededUuid(random: Prng): string {
  const hex: string[] = [];
  for (let i = 0; i < 4; i++) hex.push(random.nextUint32().toString(16).padStart(8, '0'));
  const text = hex.join('');
  const variant = ((Number.parseInt(text[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-4${text.slice(13, 16)}-${variant}${text.slice(17, 20)}-${text.slice(20, 32)}`;
}
