/** Linux's dev_t encoding (glibc's gnu_dev_major / gnu_dev_minor), for device nodes in trees. */
export const devMajor = (d: number): number => Number(((BigInt(d) >> 8n) & 0xfffn) | ((BigInt(d) >> 32n) & ~0xfffn));
export const devMinor = (d: number): number => Number((BigInt(d) & 0xffn) | ((BigInt(d) >> 12n) & ~0xffn));
