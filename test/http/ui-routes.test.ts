// The web console's static files: content types, 404s, no way out of the directory, uPlot from
// node_modules, and GET / sending browsers (an Accept that prefers text/html) to /ui/.
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listenClientApi } from '../../src/http/client-server.ts';
import { prefersHtml, uiFiles } from '../../src/http/ui-routes.ts';
import type { Harness } from './harness.ts';
import { newHarness } from './harness.ts';

let h: Harness;
beforeEach(() => {
  h = newHarness();
});
afterEach(async () => {
  await h.close();
});

const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

describe('GET /ui/', () => {
  it('serves the page, its modules and styles with their content types and a content security policy', async () => {
    const page = await h.get('/ui/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.text).toContain('<script type="module" src="app.js"></script>');
    for (const [path, type] of [
      ['/ui/app.js', 'text/javascript; charset=utf-8'],
      ['/ui/pages/messages.js', 'text/javascript; charset=utf-8'],
      ['/ui/app.css', 'text/css; charset=utf-8'],
      ['/ui/favicon.svg', 'image/svg+xml'],
      ['/ui/index.html', 'text/html; charset=utf-8'],
    ] as const) {
      const reply = await h.get(path);
      expect(reply.status, path).toBe(200);
      expect(reply.headers['content-type'], path).toBe(type);
    }
  });

  it('serves uPlot from node_modules at fixed paths', async () => {
    const script = await h.get('/ui/vendor/uplot.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.text).toContain('export { uPlot as default }');
    const style = await h.get('/ui/vendor/uplot.css');
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(style.text).toContain('.uplot');
  });

  it('redirects /ui to /ui/ and answers 404 with the API error body for anything not listed', async () => {
    const bare = await h.get('/ui');
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe('/ui/');
    for (const path of ['/ui/nope.js', '/ui/pages/', '/ui/vendor/', '/ui/vendor/uPlot.esm.js']) {
      const reply = await h.get(path);
      expect(reply.status, path).toBe(404);
      expect(reply.json.error_code, path).toBe(404);
    }
  });

  it('never serves a file outside its directory, however the path is spelt', async () => {
    const listed = uiFiles();
    expect([...listed.keys()].every((name) => !name.includes('..'))).toBe(true);
    for (const path of [
      '/ui/../package.json',
      '/ui/..%2Fpackage.json',
      '/ui/%2e%2e/package.json',
      '/ui/%2e%2e%2fpackage.json',
      '/ui/pages/../../ui-routes.ts',
      '/ui/..%5c..%5cpackage.json',
      '/ui//etc/passwd',
      '/ui/%2Fetc%2Fpasswd',
      '/ui/vendor/../../../package.json',
    ]) {
      const reply = await h.get(path);
      expect(reply.status, path).toBe(404);
      expect(reply.text, path).not.toContain('"name": "kraftling"');
    }
  });

  it('does not normalize a raw request line with dot segments into the repository either', async () => {
    const server = await listenClientApi(h.app, { host: '127.0.0.1', port: 0 });
    try {
      const [host, port] = [server.address.split(':')[0]!, Number(server.address.split(':')[1])];
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, host, () => {
          socket.write('GET /ui/../package.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        });
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk.toString('utf8');
        });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(raw).toMatch(/^HTTP\/1\.1 404/);
      expect(raw).not.toContain('"name": "kraftling"');
    } finally {
      await server.close();
    }
  });
});

describe('GET /', () => {
  it('sends a browser to the console', async () => {
    const reply = await h.request({ method: 'GET', url: '/', headers: { accept: BROWSER_ACCEPT } });
    expect(reply.status).toBe(302);
    expect(reply.headers.location).toBe('/ui/');
  });

  it('answers API clients as before: 404 with the error body', async () => {
    for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/html;q=0.5']) {
      const reply = await h.request({
        method: 'GET',
        url: '/',
        headers: accept === undefined ? {} : { accept },
      });
      expect(reply.status, String(accept)).toBe(404);
      expect(reply.json, String(accept)).toEqual({ error_code: 404, message: 'HTTP 404 Not Found' });
    }
  });
});

describe('prefersHtml', () => {
  it('weighs q values and specificity', () => {
    expect(prefersHtml(BROWSER_ACCEPT)).toBe(true);
    expect(prefersHtml('text/html')).toBe(true);
    expect(prefersHtml('text/*')).toBe(true);
    expect(prefersHtml('text/html;q=0.9, application/json')).toBe(false);
    expect(prefersHtml('application/json;q=0.5, text/html')).toBe(true);
    expect(prefersHtml('*/*')).toBe(false);
    expect(prefersHtml('text/html;q=0')).toBe(false);
    expect(prefersHtml('text/html;q=abc')).toBe(false);
    expect(prefersHtml('')).toBe(false);
    expect(prefersHtml(undefined)).toBe(false);
  });
});
