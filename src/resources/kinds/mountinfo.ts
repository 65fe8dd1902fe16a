/**
 * /proc/PID/mountinfo (proc(5), "/proc/pid/mountinfo"): one line per mount,
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 * mount ID, parent ID, major:minor of the filesystem's device, root, mount point, options,
 * optional fields up to "-", filesystem type, source, super options. Paths escape blanks,
 * tabs, newlines and backslashes as \ooo octal.
 */
export interface MountEntry {
  /** "major:minor" of the device st_dev reports for files on it. */
  device: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (separator < 0 || fields.length < separator + 3) continue;
    entries.push({
      device: fields[2]!,
      mountPoint: unescapeOctal(fields[4]!),
      fsType: fields[separator + 1]!,
      source: unescapeOctal(fields[separator + 2]!),
    });
  }
  return entries;
}

function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Linux's dev_t encoding (glibc gnu_dev_major / gnu_dev_minor) as "major:minor". */
export function deviceNumber(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}
