/**
 * The dashboard's static files: the browser modules tsc compiled from browser/*.ts (next to
 * this module in dist) and the stylesheet. Names are checked against a pattern and looked up in
 * that one directory, so no path can leave it; files are read once and kept.
 */
import { readFile } from 'node:fs/promises';
import { HttpError } from '../api/http.js';
import { STYLE_CSS } from './style.js';

export interface Asset {
  contentType: string;
  body: string;
}

const MODULE_NAME = /^[a-z][a-z0-9-]*\.js$/;

export class Assets {
  private readonly cache = new Map<string, Promise<Asset>>();

  /** `directory`: where the compiled browser modules are (a file: URL ending in /). */
  constructor(private readonly directory: URL = new URL('./browser/', import.meta.url)) {}

  get(name: string): Promise<Asset> {
    if (name === 'style.css') return Promise.resolve({ contentType: 'text/css; charset=utf-8', body: STYLE_CSS });
    if (!MODULE_NAME.test(name)) return Promise.reject(new HttpError(404, `No such dashboard file: ${name}`));
    let asset = this.cache.get(name);
    if (asset === undefined) {
      asset = readFile(new URL(name, this.directory), 'utf8').then(
        (body) => ({ contentType: 'text/javascript; charset=utf-8', body: body.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n') }),
        (err: NodeJS.ErrnoException) => {
          this.cache.delete(name);
          if (err.code === 'ENOENT') throw new HttpError(404, `No such dashboard file: ${name} (is the browser part built? npm run build)`);
          throw err;
        },
      );
      this.cache.set(name, asset);
    }
    return asset;
  }
}
