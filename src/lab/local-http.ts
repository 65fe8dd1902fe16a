/** Whether a lab host's own web server answers (curl inside the host, 1 s limit). */
import type { Lab } from './lab.js';

export async function servesLocalHttp(lab: Lab, host: string, url = 'http://127.0.0.1/'): Promise<boolean> {
  try {
    await lab.exec(host, ['curl', '-sf', '-o', '/dev/null', '-m', '1', url]);
    return true;
  } catch {
    return false;
  }
}
