/**
 * Who runs a CLI action, for the daemon's event log: the login name behind sudo, else the user.
 * A claim the daemon shows beside "control socket", never instead of it (src/api/request-identity.ts).
 */
export function cliActor(env: NodeJS.ProcessEnv = process.env): { actor?: string } {
  const name = env.SUDO_USER ?? env.USER ?? env.LOGNAME;
  return name !== undefined && /^[\w.@ -]{1,64}$/.test(name) ? { actor: name } : {};
}
