import { describe, expect, it } from 'vitest';
import { Violation } from '../checkers/violation.ts';
import { GroupHistory } from './group-history.ts';

// The group checks on hand-made histories (times in microseconds).

function checker(fn: () => void): string | null {
  try {
    fn();
  } catch (error) {
    return error instanceof Violation ? error.checker : `not a violation: ${String(error)}`;
  }
  return null;
}

describe('GroupHistory', () => {
  it('finds a fetch below an acknowledged commit that completed before it was invoked', () => {
    const history = new GroupHistory();
    history.commitInvoked(0, 5, 10, 'c0')(true, 20);
    expect(checker(() => history.fetched(0, 5, 30, 40, 'n1'))).toBeNull();
    expect(checker(() => history.fetched(0, 3, 50, 60, 'n2'))).toBe('committed-offsets-monotonic');
  });

  it('finds a fetch of no commit at all after one was acknowledged', () => {
    const history = new GroupHistory();
    history.commitInvoked(1, 5, 10, 'c0')(true, 20);
    expect(checker(() => history.fetched(1, -1, 30, 40, 'n1'))).toBe('committed-offsets-monotonic');
    // Another partition is not concerned.
    expect(checker(() => history.fetched(2, -1, 30, 40, 'n1'))).toBeNull();
  });

  it('allows a lower offset when a commit of that value may have landed after the higher one', () => {
    const history = new GroupHistory();
    // A new owner's commit of 3, invoked before the old owner's 5 was acknowledged.
    const lower = history.commitInvoked(0, 3, 15, 'c1');
    history.commitInvoked(0, 5, 10, 'c0')(true, 20);
    lower(true, 25);
    expect(checker(() => history.fetched(0, 3, 30, 40, 'n1'))).toBeNull();
  });

  it('finds an offset that goes back when the commit of the lower value was over before', () => {
    const history = new GroupHistory();
    history.commitInvoked(0, 3, 1, 'c0')(true, 2);
    // A commit of 5 that got no answer, then fetched: it landed.
    history.commitInvoked(0, 5, 10, 'c0')(false, 20);
    expect(checker(() => history.fetched(0, 5, 30, 40, 'n1'))).toBeNull();
    // Then 3 again: the commit of 3 was over before the fetch of 5 began, so 5 vanished.
    expect(checker(() => history.fetched(0, 3, 50, 60, 'n2'))).toBe('committed-offsets-monotonic');
  });

  it('allows an answer from before an overlapping fact', () => {
    const history = new GroupHistory();
    history.commitInvoked(0, 3, 1, 'c0')(true, 2);
    history.commitInvoked(0, 5, 10, 'c0')(true, 40);
    // Invoked before the commit of 5 completed: 3 may be what it read.
    expect(checker(() => history.fetched(0, 3, 30, 50, 'n1'))).toBeNull();
  });

  it('finds a committed offset beyond the final high watermark', () => {
    const history = new GroupHistory();
    history.commitInvoked(0, 7, 10, 'c0')(true, 20);
    expect(checker(() => history.checkFinal(new Map([[0, 7]])))).toBeNull();
    expect(checker(() => history.checkFinal(new Map([[0, 6]])))).toBe('committed-offset-exists');
  });
});
