/**
 * `npm run docs:config`: rewrites the generated tables of docs/config.md from the field tables.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { updateGeneratedBlocks } from './render.js';

const DOC = new URL('../../../../docs/config.md', import.meta.url);

const before = await readFile(DOC, 'utf8');
const after = updateGeneratedBlocks(before);
if (after !== before) await writeFile(DOC, after);
console.log(after === before ? 'docs/config.md is up to date' : 'docs/config.md updated');
