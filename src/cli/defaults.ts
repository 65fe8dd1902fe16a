/** Where a daemon keeps its control socket and pid file unless told otherwise. */
export const DEFAULT_RUNTIME_DIR = '/run/hotstandby';
