import { describe, expect, it } from 'vitest';
import type { KafkaErrorName } from '../../src/common/kafka-errors.ts';
import { KafkaError, KafkaErrors } from '../../src/common/kafka-errors.ts';
import type { HttpErrorName, HttpErrorSpec } from '../../src/http/errors.ts';
import { HTTP_ERRORS, HttpError, KAFKA_ERROR_HTTP, toErrorBody } from '../../src/http/errors.ts';
import { validationMessage } from '../../src/http/validation-message.ts';

const kafkaErrorNames = Object.keys(KafkaErrors) as KafkaErrorName[];
const httpErrorNames = Object.keys(HTTP_ERRORS) as HttpErrorName[];

function expectConsistent(spec: HttpErrorSpec): void {
  expect(spec.status).toBeGreaterThanOrEqual(400);
  expect(spec.status).toBeLessThan(600);
  expect(String(spec.errorCode).slice(0, 3)).toBe(String(spec.status));
  expect(spec.message.length).toBeGreaterThan(0);
}

describe('the error registry', () => {
  it.each(httpErrorNames)(
    '%s has a 4xx/5xx status equal to the first three digits of its error_code',
    (name) => {
      expectConsistent(HTTP_ERRORS[name]);
      const answer = toErrorBody(new HttpError(name));
      expect(answer.status).toBe(HTTP_ERRORS[name].status);
      expect(answer.body).toEqual({
        error_code: HTTP_ERRORS[name].errorCode,
        message: HTTP_ERRORS[name].message,
      });
      expect(answer.unexpected).toBe(false);
    },
  );

  it.each(kafkaErrorNames)('KafkaError %s is mapped to a registered error', (name) => {
    const mapped: HttpErrorName | undefined = (KAFKA_ERROR_HTTP as Partial<Record<string, HttpErrorName>>)[
      name
    ];
    expect(mapped).toBeDefined();
    const spec = HTTP_ERRORS[mapped!];
    expectConsistent(spec);
    const answer = toErrorBody(new KafkaError(name, `the ${name} message`));
    expect(answer).toEqual({
      status: spec.status,
      body: { error_code: spec.errorCode, message: `the ${name} message` },
      unexpected: false,
    });
  });

  it('maps nothing that is not a KafkaErrorName', () => {
    expect(Object.keys(KAFKA_ERROR_HTTP).sort()).toEqual([...kafkaErrorNames].sort());
  });

  it('registers the codes of design §6', () => {
    const codes = new Set<number>(httpErrorNames.map((name) => HTTP_ERRORS[name].errorCode));
    for (const code of [40401, 40402, 40403, 40404, 40601, 40901, 40902, 40903, 42901, 50002, 50003, 404]) {
      expect(codes.has(code), `error_code ${code}`).toBe(true);
    }
  });

  it.each([
    ['TOPIC_ALREADY_EXISTS', 400, 40002],
    ['INVALID_PARTITIONS', 400, 40002],
    ['INVALID_REPLICATION_FACTOR', 400, 40002],
    ['INVALID_CONFIG', 400, 40002],
    ['INVALID_TOPIC_EXCEPTION', 400, 40002],
    ['POLICY_VIOLATION', 400, 40002],
    ['UNKNOWN_TOPIC_OR_PARTITION', 404, 40401],
    ['NOT_CONTROLLER', 500, 50003],
    ['REQUEST_TIMED_OUT', 500, 50003],
    ['LEADER_NOT_AVAILABLE', 500, 50003],
    ['NOT_ENOUGH_REPLICAS', 500, 50003],
    ['BROKER_NOT_AVAILABLE', 503, 50302],
    ['THROTTLING_QUOTA_EXCEEDED', 429, 42901],
    ['MESSAGE_TOO_LARGE', 413, 413],
    ['UNKNOWN_SERVER_ERROR', 500, 50002],
  ] as const)('answers %s as Confluent does: %i / %i', (name, status, errorCode) => {
    const answer = toErrorBody(new KafkaError(name, 'x'));
    expect([answer.status, answer.body.error_code]).toEqual([status, errorCode]);
  });
});

describe('toErrorBody', () => {
  it.each([
    ['a plain Error', new Error('secret internals at /srv/x.ts:12')],
    ['a TypeError', new TypeError('cannot read properties of undefined')],
    ['a string', 'boom'],
    ['null', null],
    ['undefined', undefined],
    ['an object', { what: 'ever' }],
    [
      'an object with an unknown code',
      Object.assign(new Error('x'), { code: 'ECONNRESET', statusCode: 502 }),
    ],
  ])('answers %s with 500 / 50002 and no internals', (_label, thrown) => {
    expect(toErrorBody(thrown)).toEqual({
      status: 500,
      body: { error_code: 50002, message: 'Internal server error' },
      unexpected: true,
    });
  });

  it.each([
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 415],
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 413],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 400],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 400],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 400],
    ['FST_ERR_BAD_URL', 400, 400],
  ] as const)("maps fastify's %s to %i / %i", (code, status, errorCode) => {
    const answer = toErrorBody(Object.assign(new Error('fastify says no'), { code }));
    expect(answer).toEqual({
      status,
      body: { error_code: errorCode, message: 'fastify says no' },
      unexpected: false,
    });
  });

  it('answers schema validation errors with 422 / 42206 naming the field', () => {
    const error = Object.assign(new Error('body/partitions_count must be integer'), {
      validation: [
        {
          keyword: 'type',
          instancePath: '/partitions_count',
          params: { type: 'integer' },
          message: 'must be integer',
        },
      ],
      validationContext: 'body',
    });
    expect(toErrorBody(error)).toEqual({
      status: 422,
      body: { error_code: 42206, message: "Field 'partitions_count' must be integer." },
      unexpected: false,
    });
  });
});

describe('validationMessage', () => {
  it.each([
    [
      { keyword: 'required', instancePath: '', params: { missingProperty: 'topic_name' } },
      'body',
      "Field 'topic_name' is required.",
    ],
    [
      { keyword: 'required', instancePath: '/configs/0', params: { missingProperty: 'name' } },
      'body',
      "Field 'configs[0].name' is required.",
    ],
    [
      {
        keyword: 'additionalProperties',
        instancePath: '',
        params: { additionalProperty: 'partition_count' },
      },
      'body',
      "Unrecognized field 'partition_count'.",
    ],
    [
      {
        keyword: 'maximum',
        instancePath: '/partitions_count',
        params: { limit: 5 },
        message: 'must be <= 5',
      },
      'body',
      "Field 'partitions_count' must be <= 5.",
    ],
    [
      {
        keyword: 'enum',
        instancePath: '/data/1/operation',
        params: { allowedValues: ['SET', 'DELETE'] },
        message: 'x',
      },
      'body',
      "Field 'data[1].operation' must be one of SET, DELETE.",
    ],
    [
      { keyword: 'type', instancePath: '', params: { type: 'object' }, message: 'must be object' },
      'body',
      'Request body must be object.',
    ],
    [
      {
        keyword: 'type',
        instancePath: '/value',
        params: { type: 'string,null' },
        message: 'must be string,null',
      },
      'body',
      "Field 'value' must be string or null.",
    ],
    [
      { keyword: 'type', instancePath: '/a~1b', params: { type: 'string' }, message: 'must be string' },
      'querystring',
      "Query parameter 'a/b' must be string.",
    ],
  ])('%j in %s -> %s', (error, part, message) => {
    expect(validationMessage([error], part)).toBe(message);
  });

  it('copes with no errors and with garbage', () => {
    expect(validationMessage([], 'body')).toBe('Invalid request payload.');
    expect(validationMessage([42], 'params')).toBe('Path parameters is invalid.');
  });
});
