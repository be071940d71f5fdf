// Building the page from data without HTML strings: every text goes in as a text node (record keys and
// values are user data), so nothing the cluster returns is ever parsed as markup.

/**
 * An element: `props` sets attributes (`class`, `data-*`, ...), properties for `value`/`checked`/
 * `disabled`, and `on*` listeners; children are nodes, strings (text), numbers, or arrays of them.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'value' || name === 'checked' || name === 'disabled') element[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A table: `columns` as [title, cell(row) => content, {num}?], one row per item; `empty` when none. */
export function table(columns, rows, { empty = 'None.', rowProps } = {}) {
  if (rows.length === 0) return h('p', { class: 'muted' }, empty);
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map(([title, , options]) => h('th', { class: options?.num ? 'num' : undefined }, title)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((row) =>
        h(
          'tr',
          rowProps?.(row) ?? {},
          columns.map(([, cell, options]) => h('td', { class: options?.num ? 'num' : undefined }, cell(row))),
        ),
      ),
    ),
  );
}

/** An API failure as the user should see it: its error_code and message. */
export function errorBox(error) {
  const text =
    error?.name === 'ApiError'
      ? `Error ${error.errorCode}: ${error.message}`
      : `Error: ${error?.message ?? String(error)}`;
  return h('div', { class: 'error', role: 'alert' }, text);
}

export const notice = (text) => h('div', { class: 'notice', role: 'status' }, text);

export const badge = (text, kind) => h('span', { class: kind ? `badge ${kind}` : 'badge' }, text);

/** A number with thousands separators. */
export const formatNumber = (value) => (typeof value === 'number' ? value.toLocaleString('en-US') : '—');

/** An epoch-ms or ISO time in the browser's zone, to the millisecond. */
export function formatTime(value) {
  if (value === null || value === undefined) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** A form's fields by name, as trimmed strings. */
export function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form))
    values[name] = typeof value === 'string' ? value.trim() : value;
  return values;
}

/**
 * Runs an async action for a form's submit: the button is disabled while it runs, and its failure is
 * shown in `status` (or its success message, when it returns a string).
 */
export function onSubmit(form, status, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll('button')];
    for (const button of buttons) button.disabled = true;
    replace(status);
    try {
      const message = await action(formValues(form));
      if (typeof message === 'string') replace(status, notice(message));
    } catch (error) {
      replace(status, errorBox(error));
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  });
  return form;
}

/** "name=value" lines (configs, headers); blank lines skipped; a line without "=" is an error. */
export function parsePairs(text, what) {
  const pairs = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const at = line.indexOf('=');
    if (at <= 0) throw new Error(`Each ${what} line must be name=value: "${line.trim()}"`);
    pairs.push({ name: line.slice(0, at).trim(), value: line.slice(at + 1) });
  }
  return pairs;
}
