/** What the node last knew about its data (eligibility.ts), kept across daemon restarts. */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Knowledge } from './eligibility.js';

export async function loadKnowledge(stateDir: string): Promise<Knowledge | undefined> {
  const text = await readFile(join(stateDir, 'postgresql-knowledge.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<Knowledge>;
    if ((value.role === 'primary' || value.role === 'sync-standby' || value.role === 'behind')
      && Number.isInteger(value.timeline) && Number.isInteger(value.peerTimeline)) {
      return { role: value.role, timeline: value.timeline as number, peerTimeline: value.peerTimeline as number };
    }
  } catch {
    // A torn or foreign file is no knowledge.
  }
  return undefined;
}

export async function saveKnowledge(stateDir: string, knowledge: Knowledge): Promise<void> {
  const path = join(stateDir, 'postgresql-knowledge.json');
  await writeFile(`${path}.tmp`, `${JSON.stringify(knowledge)}\n`, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}
