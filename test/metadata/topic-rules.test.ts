import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { metadataOffset, topicId } from '../../src/metadata/ids.ts';
import { emptyImage } from '../../src/metadata/image.ts';
import { applyBatch } from '../../src/metadata/reducer.ts';
import {
  collidingTopic,
  collisionMessage,
  isLegalTopicName,
  unifyCollisionChars,
  validateTopicName,
} from '../../src/metadata/topic-rules.ts';

describe('topic names', () => {
  it.each(['a', 'orders', 'Orders-2024_v1.x', '...', '.a', 'a'.repeat(249)])('accepts %s', (name) => {
    expect(validateTopicName(name)).toEqual({ ok: true });
  });

  it.each([
    ['', "Topic name is illegal, it can't be empty"],
    ['.', 'Topic name cannot be "." or ".."'],
    ['..', 'Topic name cannot be "." or ".."'],
    ['a'.repeat(250), "Topic name is illegal, it can't be longer than 249 characters, topic name: "],
    [
      'a b',
      "Topic name \"a b\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'",
    ],
    ['a/b', 'contains a character other than ASCII alphanumerics'],
    ['é', 'contains a character other than ASCII alphanumerics'],
  ])('refuses %j', (name, reason) => {
    const check = validateTopicName(name);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toContain(reason);
  });

  it('accepts exactly the names made of legal characters, 1 to 249 long, other than . and ..', () => {
    const legal = fc.string({ unit: fc.constantFrom(...'abcXYZ019._-'), minLength: 1, maxLength: 249 });
    fc.assert(fc.property(legal, (name) => isLegalTopicName(name) === (name !== '.' && name !== '..')));
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }),
        (name) =>
          isLegalTopicName(name) === (/^[a-zA-Z0-9._-]{1,249}$/.test(name) && name !== '.' && name !== '..'),
      ),
    );
  });
});

describe('topic name collisions', () => {
  const image = applyBatch(
    emptyImage(),
    [
      { type: 'topic', name: 'metrics.cpu', topicId: topicId('6f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c') },
      { type: 'topic', name: 'plain', topicId: topicId('7f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c') },
    ],
    metadataOffset(1),
  );

  it("finds an existing topic whose name equals the new one once '.' is replaced by '_'", () => {
    expect(unifyCollisionChars('a.b_c')).toBe('a_b_c');
    expect(collidingTopic(image, 'metrics_cpu')).toBe('metrics.cpu');
    expect(collisionMessage('metrics_cpu', 'metrics.cpu')).toBe(
      "Topic 'metrics_cpu' collides with existing topic: metrics.cpu",
    );
  });

  it('does not report the topic itself, or names without collision characters', () => {
    expect(collidingTopic(image, 'metrics.cpu')).toBeNull();
    expect(collidingTopic(image, 'plain')).toBeNull();
    expect(collidingTopic(image, 'metrics-cpu')).toBeNull();
  });
});
