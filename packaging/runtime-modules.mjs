// Prints, one per line, the node_modules directories (relative to the project root) that the
// installed program loads: the closure of package.json's dependencies, without the packages only
// `npm install` uses (C++ headers for node-gyp, TypeScript types, the prebuilt-binary fetcher).
// Used by build-deb.sh; `npm ls --omit=dev` would ship those too.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const INSTALL_ONLY = new Set(['node-addon-api', 'prebuild-install', '@types/node', 'node-gyp']);
const root = process.argv[2] ?? process.cwd();

function resolvePackage(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot find ${name} from ${from}`);
  }
}

const seen = new Set();
function walk(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
    if (INSTALL_ONLY.has(name)) continue;
    let found;
    try {
      found = resolvePackage(name, dir);
    } catch (err) {
      if (pkg.optionalDependencies?.[name]) continue;
      throw err;
    }
    if (seen.has(found)) continue;
    seen.add(found);
    walk(found);
  }
}
walk(root);
for (const dir of [...seen].sort()) console.log(relative(root, dir));
