/** Where the daemon pushes rtnetlink link changes so interface checks act at once. */
export interface LinkEvents {
  /** An interface went up or down (or changed carrier); `up` = IFF_UP and carrier. */
  notifyLinkChange(name: string, up: boolean): void;
}
