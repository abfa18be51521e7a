/**
 * The dashboard's static files, all served by the daemon itself (no CDN, no
 * external fonts): the stylesheet from web/static/, the page's scripts from
 * dist/web/ (compiled from web/src/*.ts by `npm run build:web`, tsc with the DOM
 * library; the browser loads them as ES modules). Only plain names
 * (`[a-z0-9-]+.js|css`) are looked up, so no path can leave those directories.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the nearest directory above this module holding package.json (works from src/ and dist/src/). */
export function packageRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let d = from;
  while (!existsSync(path.join(d, 'package.json'))) {
    const up = path.dirname(d);
    if (up === d) throw new Error(`no package.json above ${from}`);
    d = up;
  }
  return d;
}

/** Where the compiled page scripts are. */
export const webDist = (root = packageRoot()): string => path.join(root, 'dist', 'web');

/** A static asset's bytes and content type, or null when the name is not a plain asset name or the file is absent. */
export async function readAsset(name: string, root = packageRoot()): Promise<{ body: Buffer; type: string } | null> {
  const m = /^([a-z0-9-]+)\.(js|css)$/.exec(name);
  if (!m) return null;
  const file = m[2] === 'css' ? path.join(root, 'web', 'static', name) : path.join(webDist(root), name);
  try {
    return { body: await readFile(file), type: m[2] === 'css' ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8' };
  } catch {
    return null;
  }
}
