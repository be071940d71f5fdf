// Java .properties files (java.util.Properties.load/store semantics), read as UTF-8 instead of Latin-1:
// how node configuration files are written, as Kafka's server.properties.

/** A .properties file that cannot be parsed (only a malformed \uXXXX escape can cause this). */
export class PropertiesSyntaxError extends Error {
  /** 1-based line where the offending logical line starts. */
  readonly line: number;
  constructor(line: number, reason: string) {
    super(`line ${line}: ${reason}`);
    this.name = 'PropertiesSyntaxError';
    this.line = line;
  }
}

// ---------------------------------------------------------------------------------------------------
// Java .properties (java.util.Properties.load/store semantics), UTF-8 instead of Latin-1.

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\f';

interface LogicalLine {
  readonly text: string;
  readonly line: number;
}

/**
 * Splits into logical lines as Properties.LineReader does: leading whitespace of every natural line is
 * dropped; blank lines and comment lines (first non-blank char # or !) are skipped and never continue;
 * a line ending in an odd number of backslashes continues on the next one (that backslash removed).
 */
function logicalLines(text: string): LogicalLine[] {
  const natural = text.split(/\r\n|\r|\n/);
  const result: LogicalLine[] = [];
  let current: string | null = null;
  let startLine = 0;
  for (let index = 0; index < natural.length; index++) {
    const raw = natural[index]!;
    let start = 0;
    while (isBlank(raw[start])) start++;
    const stripped = raw.slice(start);
    if (current === null) {
      if (stripped === '' || stripped[0] === '#' || stripped[0] === '!') continue;
      current = '';
      startLine = index + 1;
    }
    let backslashes = 0;
    while (backslashes < stripped.length && stripped[stripped.length - 1 - backslashes] === '\\')
      backslashes++;
    if (backslashes % 2 === 1) {
      current += stripped.slice(0, -1);
      if (index === natural.length - 1) result.push({ text: current, line: startLine });
    } else {
      result.push({ text: current + stripped, line: startLine });
      current = null;
    }
  }
  return result;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescapeText(text: string, line: number): string {
  let out = '';
  for (let index = 0; index < text.length; index++) {
    const c = text[index]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    index++;
    const next = text[index];
    if (next === undefined) break;
    if (next === 'u') {
      const hex = text.slice(index + 1, index + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new PropertiesSyntaxError(line, 'Malformed \\uxxxx encoding.');
      out += String.fromCharCode(Number.parseInt(hex, 16));
      index += 4;
    } else {
      out += SIMPLE_ESCAPES[next] ?? next;
    }
  }
  return out;
}

/**
 * Parses a Java .properties text: `#`/`!` comments, `key=value`, `key: value` or `key value`, `\`
 * line continuations, escapes (\t \n \r \f \uXXXX, and `\x` = x for any other x). Trailing whitespace
 * belongs to the value, as in Java (config parsing trims it where a type calls for it). Later
 * duplicates win. A leading byte-order mark is ignored.
 */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (const { text: line, line: number } of logicalLines(body)) {
    let keyEnd = 0;
    let valueStart = line.length;
    let hasSeparator = false;
    let precedingBackslash = false;
    while (keyEnd < line.length) {
      const c = line[keyEnd]!;
      if (!precedingBackslash && (c === '=' || c === ':')) {
        valueStart = keyEnd + 1;
        hasSeparator = true;
        break;
      }
      if (!precedingBackslash && isBlank(c)) {
        valueStart = keyEnd + 1;
        break;
      }
      precedingBackslash = c === '\\' ? !precedingBackslash : false;
      keyEnd++;
    }
    while (valueStart < line.length) {
      const c = line[valueStart]!;
      if (!isBlank(c)) {
        if (!hasSeparator && (c === '=' || c === ':')) hasSeparator = true;
        else break;
      }
      valueStart++;
    }
    result.set(unescapeText(line.slice(0, keyEnd), number), unescapeText(line.slice(valueStart), number));
  }
  return result;
}

function escapeText(text: string, isKey: boolean): string {
  let out = '';
  for (let index = 0; index < text.length; index++) {
    const c = text[index]!;
    const code = c.charCodeAt(0);
    if (c === ' ') out += isKey || index === 0 ? '\\ ' : ' ';
    else if (c === '\\' || c === '=' || c === ':' || c === '#' || c === '!') out += `\\${c}`;
    else if (c === '\t') out += '\\t';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\f') out += '\\f';
    else if (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0xd800 && code <= 0xdfff) ||
      code === 0xfeff
    )
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return out;
}

/**
 * Writes properties so that parseProperties reads back exactly the same map (Properties.store's
 * escaping; other non-ASCII characters stay as UTF-8). `comments` become `#` lines at the top.
 */
export function formatProperties(
  entries: Iterable<readonly [string, string]>,
  comments: readonly string[] = [],
): string {
  let out = '';
  for (const comment of comments) out += `# ${comment.replace(/[\r\n]+/g, ' ')}\n`;
  for (const [key, value] of entries) out += `${escapeText(key, true)}=${escapeText(value, false)}\n`;
  return out;
}
