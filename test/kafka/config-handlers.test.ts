// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs through the listener's dispatcher over the
// in-memory broker (fake-broker.ts): every advertised version, and Kafka's rules for each.
import { beforeEach, describe, expect, it } from 'vitest';
import { KafkaErrors } from '../../src/common/kafka-errors.ts';
import { ADVERTISED_VERSIONS } from '../../src/kafka/protocol/api-keys.ts';
import {
  type AlterConfigsRequest,
  defaultAlterConfigsRequest,
} from '../../src/kafka/protocol/generated/alter-configs-request.ts';
import {
  alterConfigsApi,
  describeConfigsApi,
  incrementalAlterConfigsApi,
} from '../../src/kafka/protocol/generated/apis.ts';
import {
  type DescribeConfigsRequest,
  defaultDescribeConfigsRequest,
} from '../../src/kafka/protocol/generated/describe-configs-request.ts';
import type { DescribeConfigsResourceResult } from '../../src/kafka/protocol/generated/describe-configs-response.ts';
import {
  defaultIncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsRequest,
} from '../../src/kafka/protocol/generated/incremental-alter-configs-request.ts';
import type { RequestDispatcher } from '../../src/kafka/server/request-dispatch.ts';
import { configResourceKey } from '../../src/metadata/image.ts';
import { topicId } from '../../src/metadata/ids.ts';
import { answer } from './exchange.ts';
import { type FakeBroker, servedFakeBroker } from './fake-broker.ts';

const TOPIC = 2;
const BROKER = 4;
const SOURCE = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

let broker: FakeBroker;
let dispatcher: RequestDispatcher;

beforeEach(async () => {
  ({ broker, dispatcher } = await servedFakeBroker({ configs: new Map([['retention.ms', '60000']]) }));
});

function range(name: string): number[] {
  const versions = ADVERTISED_VERSIONS.get(name)!;
  return Array.from({ length: versions.highest - versions.lowest + 1 }, (_, i) => versions.lowest + i);
}

function describeRequest(
  resources: Array<{ type: number; name: string; keys?: string[] | null }>,
  options: Partial<DescribeConfigsRequest> = {},
): DescribeConfigsRequest {
  return {
    ...defaultDescribeConfigsRequest(),
    resources: resources.map(({ type, name, keys }) => ({
      resourceType: type,
      resourceName: name,
      configurationKeys: keys ?? null,
    })),
    ...options,
  };
}

function byName(
  configs: readonly DescribeConfigsResourceResult[],
): Map<string, DescribeConfigsResourceResult> {
  return new Map(configs.map((config) => [config.name, config]));
}

describe('DescribeConfigs', () => {
  it('answers at every advertised version: topic configs with values, and the v0 is_default / v1+ source', async () => {
    for (const version of range('DescribeConfigs')) {
      const response = await answer(
        dispatcher,
        describeConfigsApi,
        version,
        describeRequest([{ type: TOPIC, name: 'orders' }]),
      );
      const result = response.results[0]!;
      expect(result, `DescribeConfigs v${version}`).toMatchObject({
        errorCode: 0,
        errorMessage: null,
        resourceType: TOPIC,
        resourceName: 'orders',
      });
      const configs = byName(result.configs);
      expect(configs.get('retention.ms')).toMatchObject({
        value: '60000',
        readOnly: false,
        isSensitive: false,
      });
      expect(configs.get('cleanup.policy')?.value).toBe('delete');
      if (version === 0) {
        expect(configs.get('retention.ms')?.isDefault).toBe(false);
        expect(configs.get('cleanup.policy')?.isDefault).toBe(true);
      } else {
        expect(configs.get('retention.ms')?.configSource).toBe(SOURCE.DYNAMIC_TOPIC_CONFIG);
        expect(configs.get('cleanup.policy')?.configSource).toBe(SOURCE.DEFAULT_CONFIG);
      }
      // ConfigType from v3 (LONG 5, LIST 7); before, the field is not on the wire.
      expect(configs.get('retention.ms')?.configType).toBe(version >= 3 ? 5 : 0);
      expect(configs.get('cleanup.policy')?.configType).toBe(version >= 3 ? 7 : 0);
    }
  });

  it('synonyms only when asked, highest precedence first: the topic override, the static broker setting, the default', async () => {
    const ask = (includeSynonyms: boolean) =>
      answer(
        dispatcher,
        describeConfigsApi,
        4,
        describeRequest([{ type: TOPIC, name: 'orders', keys: ['retention.ms', 'segment.bytes'] }], {
          includeSynonyms,
        }),
      );
    const without = (await ask(false)).results[0]!.configs;
    expect(without.map((config) => [config.name, config.synonyms])).toEqual([
      ['retention.ms', []],
      ['segment.bytes', []],
    ]);
    const [retention, segment] = (await ask(true)).results[0]!.configs;
    expect(retention!.synonyms).toEqual([
      { name: 'retention.ms', value: '60000', source: SOURCE.DYNAMIC_TOPIC_CONFIG },
      { name: 'log.retention.ms', value: '3600000', source: SOURCE.STATIC_BROKER_CONFIG },
      { name: 'log.retention.ms', value: '604800000', source: SOURCE.DEFAULT_CONFIG },
    ]);
    expect(segment).toMatchObject({ value: '1073741824', configSource: SOURCE.DEFAULT_CONFIG });
    expect(segment!.synonyms).toEqual([
      { name: 'log.segment.bytes', value: '1073741824', source: SOURCE.DEFAULT_CONFIG },
    ]);
  });

  it('the broker resource of this node: its settings, static or default, read-only, documented when asked', async () => {
    const response = await answer(
      dispatcher,
      describeConfigsApi,
      4,
      describeRequest([{ type: BROKER, name: String(broker.nodeId) }], { includeDocumentation: true }),
    );
    const configs = byName(response.results[0]!.configs);
    expect([...configs.keys()]).toEqual(broker.settings.map((setting) => setting.name));
    expect(configs.get('num.partitions')).toMatchObject({
      value: '3',
      configSource: SOURCE.STATIC_BROKER_CONFIG,
      readOnly: true,
      configType: 3,
      documentation: 'Partitions',
    });
    expect(configs.get('message.max.bytes')).toMatchObject({
      value: '1048588',
      configSource: SOURCE.DEFAULT_CONFIG,
    });
    expect(configs.get('broker.rack')?.value).toBeNull();
    const undocumented = await answer(
      dispatcher,
      describeConfigsApi,
      4,
      describeRequest([{ type: BROKER, name: String(broker.nodeId), keys: ['num.partitions'] }]),
    );
    expect(undocumented.results[0]!.configs.map((config) => [config.name, config.documentation])).toEqual([
      ['num.partitions', null],
    ]);
  });

  it('errors per resource: unknown topic, invalid topic name, another broker, a broker name that is no id, an unknown resource type', async () => {
    const response = await answer(
      dispatcher,
      describeConfigsApi,
      4,
      describeRequest([
        { type: TOPIC, name: 'nope' },
        { type: TOPIC, name: 'bad name!' },
        { type: BROKER, name: '2' },
        { type: BROKER, name: 'one' },
        { type: 7, name: 'x' },
        { type: TOPIC, name: 'orders', keys: ['retention.ms'] },
        { type: BROKER, name: '' },
      ]),
    );
    expect(response.results.map((result) => [result.resourceName, result.errorCode])).toEqual([
      ['nope', KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code],
      ['bad name!', KafkaErrors.INVALID_TOPIC_EXCEPTION.code],
      ['2', KafkaErrors.INVALID_REQUEST.code],
      ['one', KafkaErrors.INVALID_REQUEST.code],
      ['x', KafkaErrors.INVALID_REQUEST.code],
      ['orders', 0],
      ['', 0],
    ]);
    expect(response.results[2]!.errorMessage).toBe(
      'Unexpected broker id, expected 1 or empty string, but received 2',
    );
    expect(response.results[3]!.errorMessage).toBe('Broker id must be an integer, but it is: one');
    expect(response.results[0]!.configs).toEqual([]);
    // Kafka's ConfigHelper gives an unknown topic no message.
    expect(response.results[0]!.errorMessage).toBeNull();
    expect(response.results[5]!.configs.map((config) => config.name)).toEqual(['retention.ms']);
    // The cluster-wide dynamic defaults: none are ever set here.
    expect(response.results[6]!.configs).toEqual([]);
  });

  it('catches up with the quorum before answering that a topic does not exist', async () => {
    // Committed through another node: this one applies it at its next catchUp.
    broker.node.commitElsewhere([
      { type: 'topic', name: 'elsewhere', topicId: topicId('5b3e1c4a-6f1d-4c9e-9a55-3f2d7b8e0c11') },
    ]);
    const response = await answer(
      dispatcher,
      describeConfigsApi,
      4,
      describeRequest([{ type: TOPIC, name: 'elsewhere' }]),
    );
    expect(response.results[0]!.errorCode).toBe(0);
    expect(broker.node.catchUps).toBe(1);
  });
});

/** The topic's dynamic overrides in the image. */
function overrides(topic = 'orders'): Record<string, string> {
  return Object.fromEntries(broker.image().configs.get(configResourceKey('topic', topic)) ?? []);
}

function alterRequest(
  resources: Array<{ type?: number; name?: string; configs: Record<string, string | null> }>,
  validateOnly = false,
): AlterConfigsRequest {
  return {
    ...defaultAlterConfigsRequest(),
    validateOnly,
    resources: resources.map(({ type, name, configs }) => ({
      resourceType: type ?? TOPIC,
      resourceName: name ?? 'orders',
      configs: Object.entries(configs).map(([configName, value]) => ({ name: configName, value })),
    })),
  };
}

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

function incrementalRequest(
  resources: Array<{ type?: number; name?: string; ops: Array<[string, number, string | null]> }>,
  validateOnly = false,
): IncrementalAlterConfigsRequest {
  return {
    ...defaultIncrementalAlterConfigsRequest(),
    validateOnly,
    resources: resources.map(({ type, name, ops }) => ({
      resourceType: type ?? TOPIC,
      resourceName: name ?? 'orders',
      configs: ops.map(([configName, configOperation, value]) => ({
        name: configName,
        configOperation,
        value,
      })),
    })),
  };
}

describe('AlterConfigs', () => {
  it('at every advertised version, replaces the whole dynamic set: keys not listed go back to their defaults', async () => {
    for (const version of range('AlterConfigs')) {
      const segment = String(1 << (20 + version));
      const response = await answer(
        dispatcher,
        alterConfigsApi,
        version,
        alterRequest([{ configs: { 'segment.bytes': segment, 'cleanup.policy': 'compact, delete' } }]),
      );
      expect(response.responses, `AlterConfigs v${version}`).toEqual([
        { resourceType: TOPIC, resourceName: 'orders', errorCode: 0, errorMessage: null },
      ]);
      // retention.ms (set at creation) is not listed: deleted. Values are stored normalized.
      expect(overrides()).toEqual({ 'segment.bytes': segment, 'cleanup.policy': 'compact,delete' });
    }
  });

  it("validate_only changes nothing; REST's errors: an unknown key or a bad value INVALID_CONFIG, an unknown topic UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const checked = await answer(
      dispatcher,
      alterConfigsApi,
      2,
      alterRequest([{ configs: { 'segment.bytes': '2000000' } }], true),
    );
    expect(checked.responses[0]!.errorCode).toBe(0);
    expect(overrides()).toEqual({ 'retention.ms': '60000' });
    const response = await answer(
      dispatcher,
      alterConfigsApi,
      2,
      alterRequest([
        { configs: { 'no.such.config': '1' } },
        { name: 'nope', configs: { 'retention.ms': '1' } },
      ]),
    );
    expect(response.responses.map((each) => [each.resourceName, each.errorCode])).toEqual([
      ['orders', KafkaErrors.INVALID_CONFIG.code],
      ['nope', KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code],
    ]);
    expect(response.responses[0]!.errorMessage).toBe('Unknown topic config name: no.such.config');
    const bad = await answer(
      dispatcher,
      alterConfigsApi,
      2,
      alterRequest([{ configs: { 'retention.ms': 'soon' } }]),
    );
    expect(bad.responses[0]).toMatchObject({
      errorCode: KafkaErrors.INVALID_CONFIG.code,
      errorMessage: 'Invalid value soon for configuration retention.ms: Not a number of type LONG',
    });
    expect(overrides()).toEqual({ 'retention.ms': '60000' });
  });

  it("Kafka's preprocessing: a resource twice, a key twice, a null value, a broker config (none is dynamic here), an unknown resource type", async () => {
    const twice = await answer(
      dispatcher,
      alterConfigsApi,
      1,
      alterRequest([{ configs: { 'retention.ms': '1000' } }, { configs: { 'retention.ms': '2000' } }]),
    );
    expect(twice.responses.map((each) => [each.errorCode, each.errorMessage])).toEqual([
      [KafkaErrors.INVALID_REQUEST.code, 'Each resource must appear at most once.'],
      [KafkaErrors.INVALID_REQUEST.code, 'Each resource must appear at most once.'],
    ]);
    const request = alterRequest([
      { configs: { 'retention.ms': null, 'segment.ms': null } },
      { type: BROKER, name: '1', configs: { 'log.retention.ms': '1000', 'num.partitions': '2' } },
      { type: BROKER, name: '2', configs: {} },
      { type: BROKER, name: '', configs: {} },
      { type: 7, name: 'x', configs: {} },
    ]);
    request.resources.push({
      resourceType: TOPIC,
      resourceName: 'keys-twice',
      configs: [
        { name: 'retention.ms', value: '1' },
        { name: 'retention.ms', value: '2' },
      ],
    });
    const response = await answer(dispatcher, alterConfigsApi, 2, request);
    expect(response.responses.map((each) => [each.resourceName, each.errorCode, each.errorMessage])).toEqual([
      ['orders', KafkaErrors.INVALID_REQUEST.code, 'Null value not supported for : retention.ms, segment.ms'],
      [
        '1',
        KafkaErrors.INVALID_REQUEST.code,
        'Cannot update these configs dynamically: Set(log.retention.ms, num.partitions)',
      ],
      ['2', KafkaErrors.INVALID_REQUEST.code, 'Unexpected broker id, expected 1, but received 2'],
      ['', 0, null],
      ['x', KafkaErrors.INVALID_REQUEST.code, 'Unknown resource type 7'],
      ['keys-twice', KafkaErrors.INVALID_REQUEST.code, 'Error due to duplicate config keys'],
    ]);
    expect(overrides()).toEqual({ 'retention.ms': '60000' });
  });
});

describe('IncrementalAlterConfigs', () => {
  it('at every advertised version: SET and DELETE, keys not named keep their values', async () => {
    for (const version of range('IncrementalAlterConfigs')) {
      const segment = String(1 << (20 + version));
      const response = await answer(
        dispatcher,
        incrementalAlterConfigsApi,
        version,
        incrementalRequest([{ ops: [['segment.bytes', SET, segment]] }]),
      );
      expect(response.responses, `IncrementalAlterConfigs v${version}`).toEqual([
        { resourceType: TOPIC, resourceName: 'orders', errorCode: 0, errorMessage: null },
      ]);
      expect(overrides()).toEqual({ 'retention.ms': '60000', 'segment.bytes': segment });
    }
    const deleted = await answer(
      dispatcher,
      incrementalAlterConfigsApi,
      1,
      incrementalRequest([{ ops: [['retention.ms', DELETE, null]] }]),
    );
    expect(deleted.responses[0]!.errorCode).toBe(0);
    expect(overrides()).toEqual({ 'segment.bytes': String(1 << 21) });
  });

  it("APPEND and SUBTRACT edit a list config from its value or its default; on another type: INVALID_CONFIG with Kafka's message", async () => {
    const apply = async (ops: Array<[string, number, string | null]>) =>
      (await answer(dispatcher, incrementalAlterConfigsApi, 1, incrementalRequest([{ ops }]))).responses[0]!;
    // cleanup.policy's default is "delete".
    expect((await apply([['cleanup.policy', APPEND, 'compact']])).errorCode).toBe(0);
    expect(overrides()['cleanup.policy']).toBe('delete,compact');
    expect((await apply([['cleanup.policy', APPEND, 'compact']])).errorCode).toBe(0);
    expect(overrides()['cleanup.policy']).toBe('delete,compact');
    expect((await apply([['cleanup.policy', SUBTRACT, 'delete']])).errorCode).toBe(0);
    expect(overrides()['cleanup.policy']).toBe('compact');
    expect(await apply([['retention.ms', APPEND, '5']])).toMatchObject({
      errorCode: KafkaErrors.INVALID_CONFIG.code,
      errorMessage: "Can't APPEND to key retention.ms because its type is not LIST.",
    });
    expect(await apply([['cleanup.policy', APPEND, 'shred']])).toMatchObject({
      errorCode: KafkaErrors.INVALID_CONFIG.code,
      errorMessage:
        'Invalid value compact,shred for configuration cleanup.policy: String must be one of: compact, delete',
    });
    expect(overrides()['cleanup.policy']).toBe('compact');
  });

  it('validate_only changes nothing; a null SET, an unknown operation and a broker resource are refused as Kafka does', async () => {
    const checked = await answer(
      dispatcher,
      incrementalAlterConfigsApi,
      1,
      incrementalRequest([{ ops: [['retention.ms', DELETE, null]] }], true),
    );
    expect(checked.responses[0]!.errorCode).toBe(0);
    expect(overrides()).toEqual({ 'retention.ms': '60000' });
    const response = await answer(
      dispatcher,
      incrementalAlterConfigsApi,
      1,
      incrementalRequest([
        { ops: [['retention.ms', SET, null]] },
        { name: 'other', ops: [['retention.ms', 9, '1']] },
        { type: BROKER, name: '1', ops: [['log.retention.ms', SET, '1']] },
        { type: BROKER, name: 'one', ops: [] },
        { type: BROKER, name: '', ops: [['log.retention.ms', DELETE, null]] },
        { name: 'nope', ops: [['retention.ms', SET, '1']] },
      ]),
    );
    expect(response.responses.map((each) => [each.resourceName, each.errorCode, each.errorMessage])).toEqual([
      ['orders', KafkaErrors.INVALID_REQUEST.code, 'Null value not supported for : retention.ms'],
      ['other', KafkaErrors.INVALID_REQUEST.code, 'Unknown operations type 9'],
      [
        '1',
        KafkaErrors.INVALID_REQUEST.code,
        'Cannot update these configs dynamically: Set(log.retention.ms)',
      ],
      ['one', KafkaErrors.INVALID_REQUEST.code, 'Node id must be an integer, but it is: one'],
      ['', 0, null],
      ['nope', KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code, expect.any(String)],
    ]);
    expect(overrides()).toEqual({ 'retention.ms': '60000' });
  });
});
