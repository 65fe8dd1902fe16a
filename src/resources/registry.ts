/**
 * The registry of resource kinds: which `kind:` names exist, each with its config reader and
 * driver factory. Built once from a fixed list (kinds/index.ts); no module-level mutable state.
 */
import type { ResourceKind } from './resource.js';

export class ResourceKinds {
  private readonly byName = new Map<string, ResourceKind>();

  constructor(kinds: readonly ResourceKind<any>[]) {
    for (const kind of kinds) {
      if (!/^[a-z][a-z0-9-]*$/.test(kind.kind)) throw new TypeError(`Resource kind name "${kind.kind}" must be lower-case letters, digits and dashes`);
      if (this.byName.has(kind.kind)) throw new TypeError(`Resource kind "${kind.kind}" is registered twice`);
      this.byName.set(kind.kind, kind as ResourceKind);
    }
  }

  get(name: string): ResourceKind | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  all(): ResourceKind[] {
    return [...this.byName.values()];
  }
}
