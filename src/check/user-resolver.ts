/**
 * Who an exec check runs as. The probe asks a resolver (tests pass a fake); the production one
 * applies keepalived's script-user rules from script-security.ts: the configured user and group,
 * or with no user `keepalived_script` when it exists, else the daemon's own user.
 */
import { resolveScriptUser, type RunAs, type UserDatabase } from './script-security.js';

export type { RunAs };

export interface UserResolver {
  /** uid and gid for a check's `user` / `group` (either may be undefined). Rejects with an Error saying why. */
  resolve(user: string | undefined, group: string | undefined): Promise<RunAs>;
}

export function scriptUserResolver(db: UserDatabase = {}): UserResolver {
  return {
    async resolve(user, group) {
      const { uid, gid } = await resolveScriptUser(user, group, db);
      return { uid, gid };
    },
  };
}
