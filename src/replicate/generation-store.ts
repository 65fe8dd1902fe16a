/**
 * The node's generations for one directory (generations.ts), kept in a small JSON file in the
 * resource's state directory: written to a temporary, fsynced and renamed, one write at a time,
 * so a crash leaves the old state or the new one. A missing file is a new node (a fresh
 * generation, incomplete); an unreadable one is an error naming the file, never a silent reset.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { generationsFromWire, initialGenerations, type GenerationState } from './generations.js';

export function newGenerationId(): string {
  return randomBytes(16).toString('hex');
}

export class GenerationStore {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private current: GenerationState,
  ) {}

  static async open(file: string): Promise<GenerationStore> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const store = new GenerationStore(file, initialGenerations(newGenerationId()));
      await store.persist();
      return store;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${file}: not JSON; remove it to start this node's replica as new (it will be copied again in full)`);
    }
    const lineage = generationsFromWire(parsed);
    const { pending, complete } = (parsed ?? {}) as { pending?: unknown; complete?: unknown };
    if (lineage === undefined || typeof pending !== 'boolean' || typeof complete !== 'boolean') {
      throw new Error(`${file}: not a generation record; remove it to start this node's replica as new`);
    }
    return new GenerationStore(file, { ...lineage, pending, complete });
  }

  get state(): GenerationState {
    return this.current;
  }

  /** Applies `change` and persists the result (in order with other updates). */
  update(change: (state: GenerationState) => GenerationState): Promise<void> {
    const next = change(this.current);
    if (next === this.current) return this.writing; // unchanged: earlier writes are what to wait for
    this.current = next;
    return this.persist();
  }

  private persist(): Promise<void> {
    const text = `${JSON.stringify(this.current)}\n`;
    this.writing = this.writing.catch(() => {}).then(() => this.write(text));
    return this.writing;
  }

  private async write(text: string): Promise<void> {
    const temp = `${this.file}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.file);
  }
}
