/**
 * "as of N s ago": every tile and the timeline say how old what they show is, counted from when
 * the browser last heard from the daemon (the browser's own clock: no skew with the server's).
 * The peer's own report carries its age at rendering (`data-age-ms`), counted on from there.
 */
export class Freshness {
  private readonly since = new Map<Element, number>();

  /** `element` (containing `.age` spans) shows data received now. */
  mark(element: Element): void {
    this.since.set(element, Date.now());
    this.paint(element);
  }

  /** Updates every age; called once a second. */
  tick(): void {
    for (const element of this.since.keys()) {
      if (!element.isConnected) this.since.delete(element);
      else this.paint(element);
    }
  }

  private paint(element: Element): void {
    const seconds = Math.max(0, Math.round((Date.now() - (this.since.get(element) ?? Date.now())) / 1000));
    for (const age of element.querySelectorAll('.age')) age.textContent = `${seconds} s`;
    for (const line of element.querySelectorAll('.asof')) line.classList.toggle('stale', seconds > 15);
    // The peer's own report: its age when the server rendered it, plus the time since.
    for (const age of element.querySelectorAll<HTMLElement>('.peer-age[data-age-ms]')) {
      const total = Math.round((Number(age.dataset['ageMs'] ?? 0) + Date.now() - (this.since.get(element) ?? Date.now())) / 1000);
      age.textContent = `${total} s`;
      age.closest('.peer-asof')?.classList.toggle('stale', total > 15);
    }
  }
}
