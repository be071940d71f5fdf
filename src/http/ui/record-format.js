// How a record's bytes are shown: UTF-8 text when they are (pretty-printed when the text is a JSON object
// or array), else base64 marked as binary. The result is text for a text node, never markup.
import { base64Bytes } from './api.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** `{text, kind}`: kind is 'null', 'json', 'text' or 'binary'. */
export function showBytes(embedded) {
  if (embedded === null || embedded === undefined) return { text: 'null', kind: 'null' };
  const bytes = base64Bytes(embedded.data);
  let text;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { text: `binary, ${bytes.length} bytes (base64): ${embedded.data}`, kind: 'binary' };
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return { text: JSON.stringify(JSON.parse(trimmed), null, 2), kind: 'json' };
    } catch {
      // Text that only looks like JSON.
    }
  }
  return { text, kind: 'text' };
}

/** A header value (base64 or null) as text. */
export function headerText(value) {
  return value === null ? 'null' : showBytes({ data: value }).text;
}
