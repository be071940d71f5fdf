import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatProperties, PropertiesSyntaxError, parseProperties } from '../../src/node/properties.ts';

const parsed = (text: string): Record<string, string> => Object.fromEntries(parseProperties(text));

describe('parseProperties (java.util.Properties.load semantics)', () => {
  it.each([
    ['a=b', { a: 'b' }],
    ['a = b', { a: 'b' }],
    ['a:b', { a: 'b' }],
    ['a : b', { a: 'b' }],
    ['a b', { a: 'b' }],
    ['a\tb', { a: 'b' }],
    ['a\fb', { a: 'b' }],
    ['a   :   b', { a: 'b' }],
    ['a==b', { a: '=b' }],
    ['a = = b', { a: '= b' }],
    ['a b=c', { a: 'b=c' }],
    ['a', { a: '' }],
    ['a=', { a: '' }],
    ['=b', { '': 'b' }],
    ['key = value  \t', { key: 'value  \t' }],
    ['   \t indented = v', { indented: 'v' }],
    ['a=#not a comment', { a: '#not a comment' }],
    ['a=b # also not', { a: 'b # also not' }],
    ['# comment\n! other comment\n\n  \t\n   # indented comment\na=1', { a: '1' }],
    ['# a comment ending in a backslash does not continue \\\na=1', { a: '1' }],
    ['a=b\\\n   c', { a: 'bc' }],
    ['a=one \\\n  two \\\n  three', { a: 'one two three' }],
    ['a=b\\\\\nc=d', { a: 'b\\', c: 'd' }],
    ['a=b\\\\\\\n  c', { a: 'b\\c' }],
    ['a=b\\\n# not a comment here', { a: 'b# not a comment here' }],
    ['a=b\\\n\nc=d', { a: 'b', c: 'd' }],
    ['a=b\\', { a: 'b' }],
    ['ke\\\n  y=v', { key: 'v' }],
    ['a\\ b=c', { 'a b': 'c' }],
    ['a\\=b=c', { 'a=b': 'c' }],
    ['a\\:b:c', { 'a:b': 'c' }],
    ['\\#a=1', { '#a': '1' }],
    ['a=\\t\\n\\r\\f\\\\', { a: '\t\n\r\f\\' }],
    ['a=\\u0041\\u00e9\\u20AC', { a: 'A\u00e9\u20ac' }],
    ['\\u00e9t\\u00e9=summer', { '\u00e9t\u00e9': 'summer' }],
    ['a=\\uD83D\\uDE00', { a: '\u{1F600}' }],
    ['a=\\z\\#\\!\\"', { a: 'z#!"' }],
    ['a=\\ \\ lead', { a: '  lead' }],
    ['a=caf\u00e9 \u{1F600}', { a: 'caf\u00e9 \u{1F600}' }],
    ['a=1\r\nb=2\rc=3\nd=4', { a: '1', b: '2', c: '3', d: '4' }],
    ['a=x\\\r\n  y', { a: 'xy' }],
    ['a=1\na=2', { a: '2' }],
    ['\uFEFFa=1', { a: '1' }],
    ['', {}],
    ['\n\n', {}],
  ])('%j', (text, expected) => {
    expect(parsed(text)).toEqual(expected);
  });

  it.each([
    ['a=\\u12', 1],
    ['a=\\u12G4', 1],
    ['x=1\nb=\\uZZZZ', 2],
    ['x=1\n\n# c\na=b\\\n  \\u1', 4],
  ])('refuses a malformed \\u escape in %j (line %d)', (text, line) => {
    let error: unknown;
    try {
      parseProperties(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PropertiesSyntaxError);
    expect((error as PropertiesSyntaxError).line).toBe(line);
    expect((error as Error).message).toContain('Malformed \\uxxxx encoding');
  });
});

describe('formatProperties', () => {
  it('escapes what Properties.store escapes', () => {
    const text = formatProperties(
      [
        ['a key', ' leading and inner spaces'],
        ['k=:#!', 'v=:#!\\'],
        ['tab\t', 'new\nline\r\f'],
        ['nul', '\u0000\u007f\ud800\ufeff'],
      ],
      ['header'],
    );
    expect(text).toBe(
      [
        '# header',
        'a\\ key=\\ leading and inner spaces',
        'k\\=\\:\\#\\!=v\\=\\:\\#\\!\\\\',
        'tab\\t=new\\nline\\r\\f',
        'nul=\\u0000\\u007f\\ud800\\ufeff',
        '',
      ].join('\n'),
    );
  });

  const specials = [
    ' ',
    '\t',
    '\n',
    '\r',
    '\f',
    '\\',
    '=',
    ':',
    '#',
    '!',
    'u',
    '0',
    '\uFEFF',
    '\u00e9',
    '\u0000',
  ];
  const unit = fc.oneof(
    fc.constantFrom(...specials),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    // Lone surrogates: a JavaScript string may hold them, and they must survive too.
    fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  );
  const text = fc.string({ unit, maxLength: 16 });

  it('round-trips any map of keys and values through parseProperties', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, text), { maxLength: 12 }),
        fc.array(text, { maxLength: 2 }),
        (entries, comments) => {
          const map = new Map(entries);
          const written = formatProperties(map, comments);
          expect(parseProperties(written)).toEqual(map);
          // One line per comment and per entry: nothing written spills onto another line.
          expect(written.split('\n').length - 1).toBe(comments.length + map.size);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
