// Serves the web UI bundled at build time (dist/ui: index.html, app.js, app.css). No CDN, no inline scripts.
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SECURITY_HEADERS } from './headers.js';

// From src/admin or dist/admin alike, the bundle is at packages/cli/dist/ui.
const DEFAULT_UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/ui');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

const cache = new Map<string, Buffer>();

/** Returns false when there is no such UI file (the caller answers 404). */
export async function serveUi(
  urlPath: string,
  res: http.ServerResponse,
  uiDir = DEFAULT_UI_DIR,
): Promise<boolean> {
  const root = path.resolve(uiDir);
  // Any path without an extension is a page of the single-page app.
  const rel = urlPath === '/' || !path.extname(urlPath) ? 'index.html' : urlPath.replace(/^\/+/, '');
  const file = path.resolve(root, rel);
  if (!file.startsWith(root + path.sep)) return false;
  let body = cache.get(file);
  if (!body) {
    try {
      body = await readFile(file);
    } catch {
      if (rel !== 'index.html') return false;
      res.writeHead(503, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      res.end('The web UI is not built: run `make build` (or node packages/cli/scripts/build-ui.mjs).\n');
      return true;
    }
    cache.set(file, body);
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'cache-control': rel === 'index.html' ? 'no-store' : 'public, max-age=300',
  });
  res.end(body);
  return true;
}
