/**
 * Before anything runs: every exec check and notify script must exist, be executable, and —
 * with enable_script_security, as keepalived enforces — not be writable by anyone but root
 * along its whole path. A script that cannot run is a configuration error naming file and line.
 */
import { checkScriptSecurity, resolveScriptUser } from '../check/script-security.js';
import { splitCommandLine } from '../config/command-line.js';
import { ConfigError } from '../config/config-error.js';
import type { HotstandbyConfig, NotifyConfig, SourceLocation } from '../config/model.js';

export async function validateScripts(config: HotstandbyConfig): Promise<void> {
  const enforce = config.global.enableScriptSecurity;
  const defaultUser = () => resolveScriptUser(config.global.scriptUser, config.global.scriptGroup);
  const verify = async (command: readonly string[], user: () => ReturnType<typeof resolveScriptUser>, source: SourceLocation, key: string) => {
    try {
      const runAs = await user();
      await checkScriptSecurity(command, runAs, { enforce });
    } catch (err) {
      throw new ConfigError((err as Error).message, source, key);
    }
  };
  for (const check of config.checks) {
    if (check.kind !== 'exec') continue;
    const user = check.user !== undefined ? () => resolveScriptUser(check.user, check.group) : defaultUser;
    await verify(check.command, user, check.source, `check ${check.name}`);
  }
  const notifies: Array<{ notify: NotifyConfig; source: SourceLocation; owner: string }> = [
    ...config.instances.map((i) => ({ notify: i.notify, source: i.source, owner: i.name })),
    ...config.syncGroups.map((g) => ({ notify: g.notify, source: g.source, owner: g.name })),
  ];
  for (const { notify, source, owner } of notifies) {
    for (const [kind, command] of Object.entries(notify)) {
      if (typeof command !== 'string') continue;
      await verify(splitCommandLine(command), defaultUser, source, `${owner} notify ${kind}`);
    }
  }
}
