// A node's settings as DescribeConfigs shows its BROKER resource: what it was given is static, the rest
// Kafka's defaults, each with its type and doc.
import { describe, expect, it } from 'vitest';
import { localClusterConfig } from '../../src/node/config.ts';
import { nodeSettings, settingsAwayFromDefaults } from '../../src/node/node-settings.ts';

describe('nodeSettings', () => {
  const settings = new Map(nodeSettings(localClusterConfig(2)).map((setting) => [setting.name, setting]));

  it('settings the node was given are static, the required ones too; the others are the defaults', () => {
    expect(settings.get('node.id')).toMatchObject({ value: '2', isStatic: true, type: 'int' });
    expect(settings.get('min.insync.replicas')).toMatchObject({ value: '2', isStatic: true });
    expect(settings.get('message.max.bytes')).toMatchObject({ value: '1048588', isStatic: false });
    expect(settings.get('broker.rack')).toMatchObject({ value: null, isStatic: false, type: 'string' });
    expect(settings.get('log.retention.ms')?.documentation).not.toBe('');
  });

  it('aliases are folded into their key, and what topics inherit is exactly what was given away from the defaults', () => {
    expect(settings.has('log.retention.hours')).toBe(false);
    expect(settings.has('broker.id')).toBe(false);
    const inherited = settingsAwayFromDefaults(localClusterConfig(2));
    expect(inherited.get('min.insync.replicas')).toBe('2');
    expect(inherited.has('node.id')).toBe(false);
    for (const [name, value] of inherited)
      expect(settings.get(name)).toMatchObject({ value, isStatic: true });
  });
});
