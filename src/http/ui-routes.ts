// The web console: static files served at /ui/ from src/http/ui (plain ES modules, CSS and one HTML
// page; no build step), uPlot's browser files from node_modules at fixed /ui/vendor/ paths, and a
// redirect of GET / to /ui/ for browsers (an Accept that prefers text/html; API clients keep the 404).
// Only files listed when the app is built are served, by exact name: a path such as /ui/../x or
// /ui/%2e%2e/x names no listed file, so nothing outside the directory can be reached.

import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from './errors.ts';

export const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const require = createRequire(import.meta.url);

/** uPlot (npm, a dependency) as the console imports it. */
const VENDOR: Readonly<Record<string, string>> = {
  'vendor/uplot.js': require.resolve('uplot/dist/uPlot.esm.js'),
  'vendor/uplot.css': require.resolve('uplot/dist/uPlot.min.css'),
};

/**
 * The console's own scripts only; styles may be set by scripts (uPlot sizes its canvas so) but not
 * injected as markup; no frames. Record values are user data: this is the second line behind escaping.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** Every servable file: its URL path under /ui/ and its place on disk. */
export function uiFiles(dir: string = UI_DIR): ReadonlyMap<string, string> {
  const files = new Map<string, string>(Object.entries(VENDOR));
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.startsWith('.')) continue;
    if (CONTENT_TYPES[extname(entry.name)] === undefined) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path).split(sep).join('/'), path);
  }
  return files;
}

/**
 * Whether an Accept header prefers text/html to application/json (a browser navigating, not an API
 * client): the higher q wins, and with equal q the more specific range; no Accept is no preference.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let html = { q: 0, specificity: -1 };
  let json = { q: 0, specificity: -1 };
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    const [type, subtype] = range.trim().split('/');
    const specificity = type === '*' ? 0 : subtype === '*' ? 1 : 2;
    const better = (current: { q: number; specificity: number }) =>
      specificity > current.specificity ? { q, specificity } : current;
    if ((type === 'text' || type === '*') && (subtype === 'html' || subtype === '*')) html = better(html);
    if ((type === 'application' || type === '*') && (subtype === 'json' || subtype === '*'))
      json = better(json);
  }
  return html.q > json.q || (html.q > 0 && html.q === json.q && html.specificity > json.specificity);
}

async function sendFile(reply: FastifyReply, path: string): Promise<FastifyReply> {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-cache')
    .type(CONTENT_TYPES[extname(path)] ?? 'application/octet-stream')
    .send(await readFile(path));
}

export function registerUiRoutes(app: FastifyInstance, options: { dir?: string } = {}): void {
  const files = uiFiles(options.dir);
  const index = files.get('index.html');
  if (index === undefined) throw new Error(`the web console has no index.html in ${options.dir ?? UI_DIR}`);

  app.get('/', async (request, reply) => {
    if (!prefersHtml(request.headers.accept)) throw new HttpError('NOT_FOUND');
    return reply.redirect('/ui/', 302);
  });
  app.get('/ui', async (_request, reply) => reply.redirect('/ui/', 301));
  app.get('/ui/', async (_request, reply) => sendFile(reply, index));
  app.get<{ Params: { '*': string } }>('/ui/*', async (request, reply) => {
    const path = files.get(request.params['*']);
    if (path === undefined)
      throw new HttpError('NOT_FOUND', `No such file in the web console: ${request.params['*']}`);
    return sendFile(reply, path);
  });
}
