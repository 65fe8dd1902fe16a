/**
 * hotstandby started from its native YAML configuration (for what only that format has, such as
 * the HTTP and pid-file checks); daemons.ts starts both daemons from a keepalived.conf.
 */
import { join } from 'node:path';
import type { Lab, LabProcess } from '../../src/lab/index.js';

/** `hotstandby run --config` in `host`, from the package root `root` (the benchmark's snapshot). */
export function startHotstandbyYaml(lab: Lab, host: string, yaml: string, root: string): LabProcess {
  const name = `hotstandby-${host}`;
  const file = lab.writeFile(`${name}.yaml`, yaml);
  const runtimeDir = `${file.slice(0, -'.yaml'.length)}-run`;
  return lab.spawn(
    host,
    [process.execPath, join(root, 'bin', 'hotstandby'), 'run', '--config', file, '--runtime-dir', runtimeDir, '--log-format', 'json'],
    { name, cwd: root },
  );
}
