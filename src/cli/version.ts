/** `hotstandby --version`: the version in the installed package.json (the .deb ships it too). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../net/native.js';

export function versionText(): string {
  const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return `hotstandby ${version ?? 'unknown'} (Node.js ${process.versions.node})`;
}
