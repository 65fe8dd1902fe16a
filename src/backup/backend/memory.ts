/** An in-memory backend: the repository's fake in unit tests, held to the same suite as the real ones. */
import { AlreadyExistsError, NotFoundError, type Backend, type FileInfo, type FileType, type Handle, type TempFileInfo } from '../repo/backend.js';

export class MemoryBackend implements Backend {
  private readonly files = new Map<string, Uint8Array>();
  private readonly temporaries = new Map<string, TempFileInfo>();
  private created = false;

  constructor(private readonly name = 'memory:') {}

  location(): string {
    return this.name;
  }

  private key(h: Handle): string {
    return h.type === 'config' ? 'config' : `${h.type}/${h.name}`;
  }

  async create(): Promise<void> {
    if (this.files.has('config')) throw new AlreadyExistsError(`A repository already exists at ${this.name}`);
    this.created = true;
  }

  async open(): Promise<void> {}

  async save(h: Handle, data: Uint8Array): Promise<void> {
    const k = this.key(h);
    if (this.files.has(k)) throw new AlreadyExistsError(`${k} already exists`);
    this.files.set(k, Uint8Array.from(data));
  }

  async load(h: Handle, offset = 0, length = 0): Promise<Uint8Array> {
    const f = this.files.get(this.key(h));
    if (!f) throw new NotFoundError(`${this.key(h)} does not exist`);
    const end = length === 0 ? f.length : offset + length;
    if (offset < 0 || end > f.length || offset > f.length) throw new RangeError(`Range ${offset}+${length} is past the end of ${this.key(h)} (${f.length} bytes)`);
    return Uint8Array.from(f.subarray(offset, end));
  }

  async stat(h: Handle): Promise<FileInfo> {
    const f = this.files.get(this.key(h));
    if (!f) throw new NotFoundError(`${this.key(h)} does not exist`);
    return { name: h.name, size: f.length };
  }

  async remove(h: Handle): Promise<void> {
    this.files.delete(this.key(h));
  }

  async list(type: Exclude<FileType, 'config'>): Promise<FileInfo[]> {
    const out: FileInfo[] = [];
    const prefix = `${type}/`;
    for (const [k, v] of this.files) if (k.startsWith(prefix)) out.push({ name: k.slice(prefix.length), size: v.length });
    return out;
  }

  async listTemporary(): Promise<TempFileInfo[]> {
    return [...this.temporaries.values()].map((f) => ({ ...f }));
  }

  async removeTemporary(f: TempFileInfo): Promise<void> {
    this.temporaries.delete(`${f.type}/${f.name}`);
  }

  /** For tests: what an interrupted save leaves (saves here are atomic and never do). */
  leaveTemporary(f: TempFileInfo): void {
    this.temporaries.set(`${f.type}/${f.name}`, { ...f });
  }

  async close(): Promise<void> {}

  /** For tests: whether create() was called. */
  wasCreated(): boolean {
    return this.created;
  }
}
