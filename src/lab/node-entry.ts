/**
 * Starting a lab helper (relay, prober) as its own Node process inside a namespace. The helper is
 * an exported function, not a script: every .js file under dist/test is also run as a test file by
 * `node --test dist/test/`, so a script with side effects on import would run (and fail) there.
 */

/**
 * The command line that imports `moduleUrl` and calls its export `name` with `config` (JSON).
 * The function's rejection ends the process with status 1 and the error on stderr.
 */
export function nodeEntryCommand(moduleUrl: string, name: string, config: unknown): string[] {
  const script =
    `import(${JSON.stringify(moduleUrl)})` +
    `.then((m) => m[${JSON.stringify(name)}](JSON.parse(process.argv[1])))` +
    `.catch((e) => { console.error(e && e.stack || e); process.exit(1); });`;
  return [process.execPath, '--input-type=module', '-e', script, JSON.stringify(config)];
}
