import { describe, expect, it } from 'vitest';
import { FatalSignal } from '../../src/node/fatal-signal.ts';

describe('FatalSignal', () => {
  it('tells the first failure once to every listener, including one that registers later', () => {
    const signal = new FatalSignal();
    const heard: Array<[string, string]> = [];
    signal.listen((error) => heard.push(['early', error.message]));
    signal.raise(new Error('log dir offline'));
    signal.raise(new Error('a second failure'));
    signal.listen((error) => heard.push(['late', error.message]));
    expect(heard).toEqual([
      ['early', 'log dir offline'],
      ['late', 'log dir offline'],
    ]);
  });
});
