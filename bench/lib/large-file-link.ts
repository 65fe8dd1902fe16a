/**
 * The lab link that large-file runs use (row `file-replication`, its delta case and
 * bench/replicate-large.ts). By default it keeps segmentation offload (LabOptions.offloads), as a
 * server's NIC has it: TCP hands the link frames of up to 64 KiB. The lab's other link, one
 * 1,514-byte segment per frame, exists for the impairment relays; on a 2-core VM its per-packet
 * softirq work decided a large transfer's time rather than either tool (docs/replication.md,
 * 2026-12-05). BENCH_OFFLOADS=0 measures on that link still. Both tools always share one link,
 * and these runs are never impaired (a lab with offloads refuses it).
 */

/** Whether large-file runs keep offloads on the link: every value of BENCH_OFFLOADS but '0'. */
export function largeFileOffloads(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.BENCH_OFFLOADS !== '0';
}

/** The row note that says which link a large-file run used. */
export function largeFileLinkNote(offloads: boolean): string {
  return offloads
    ? 'Large-file link: segmentation offload kept on the veths (64 KiB frames, as a NIC with TSO/GRO), both tools on the same link; BENCH_OFFLOADS=0 gives the one-segment link.'
    : 'Large-file link: one 1,514-byte segment per frame (BENCH_OFFLOADS=0, the impairment relays\' link), both tools on the same link.';
}
