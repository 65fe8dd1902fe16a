/** The verbs beyond init/run/snapshots/ls/restore, each in its own module; src/cli/backup.ts dispatches to them. */
import { checkVerb } from './check.js';
import type { VerbModule } from './context.js';
import { dumpVerb } from './dump.js';
import { findVerb } from './find.js';
import { forgetVerb } from './forget.js';
import { pruneVerb } from './prune.js';
import { statsVerb } from './stats.js';
import { unlockVerb } from './unlock.js';

export const VERB_MODULES: Record<string, VerbModule> = {
  find: findVerb,
  dump: dumpVerb,
  forget: forgetVerb,
  prune: pruneVerb,
  check: checkVerb,
  stats: statsVerb,
  unlock: unlockVerb,
};

export { UsageError, type VerbContext, type VerbModule } from './context.js';
