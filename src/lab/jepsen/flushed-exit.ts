/**
 * Ending a helper process whose stdout is a pipe without losing output: on Linux, Node writes to
 * a pipe asynchronously once it is full (https://nodejs.org/api/process.html#a-note-on-process-io),
 * and process.exit() drops whatever is still queued. Writes complete in order, so once the last
 * line's callback has run everything before it has reached the pipe.
 */
export async function exitAfterLastLine(line: string, code = 0): Promise<never> {
  await new Promise<void>((resolve) => process.stdout.write(`${line}\n`, () => resolve()));
  process.exit(code);
}
