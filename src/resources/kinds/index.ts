/**
 * The resource kinds the daemon knows. A new kind is one module exporting a ResourceKind
 * (resource.ts) and one line here; nothing else in the daemon or the config front ends changes.
 */
import { postgresqlKind } from '../postgresql/kind.js';
import { ResourceKinds } from '../registry.js';
import type { ResourceKind } from '../resource.js';
import { execKind } from './exec.js';
import { mountKind } from './mount.js';
import { systemdKind } from './systemd.js';
import { directoryKind } from '../../replicate/directory-kind.js';

export const BUILT_IN_KINDS: readonly ResourceKind<any>[] = [
  execKind,
  systemdKind,
  mountKind,
  directoryKind,
  postgresqlKind(),
];

export function builtInKinds(): ResourceKinds {
  return new ResourceKinds(BUILT_IN_KINDS);
}
