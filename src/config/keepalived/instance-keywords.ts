/**
 * vrrp_instance keywords we do not implement: ignored with a reason (they do not change which
 * router is master, or when), or refused (ignoring them would).
 */

const NOTIFICATION = 'only notify_master/backup/fault/stop and notify scripts are supported';
const GARP_EXTRA = 'extra gratuitous ARP/NA sending is not implemented';

export const IGNORED_INSTANCE_KEYWORDS: Readonly<Record<string, string>> = {
  debug: 'keepalived does not implement it either',
  notify_priority_changes: NOTIFICATION,
  notify_deleted: NOTIFICATION,
  kernel_rx_buf_size: 'socket buffer sizing is not needed',
  linkbeat_use_polling: 'link state comes from netlink',
  lvs_sync_daemon_interface: 'LVS is not part of hotstandby',
  skip_check_adv_addr: 'advert addresses are always checked',
  garp_extra_if: GARP_EXTRA,
  vmac_garp_intvl: GARP_EXTRA,
  no_virtual_ipaddress: 'an instance without addresses is allowed with VRRP version 2 anyway',
};

export const REFUSED_INSTANCE_KEYWORDS: Readonly<Record<string, string>> = {
  use_vmac_addr: 'VMACs for addresses on other interfaces are not supported (use_vmac on the instance is)',
  use_ipvlan: 'ipvlan interfaces are not supported',
  track_bfd: 'BFD is not supported; track a vrrp_script, track_file or vrrp_track_process instead',
  mcast_dst_ip: 'per-instance multicast groups are not supported; use vrrp_mcast_group4/6',
  vrf: 'VRF binding is not supported',
  // keepalived puts the instance in FAULT when its source address goes: who is master would differ.
  track_src_ip: 'going to FAULT when the source address is removed is not implemented',
  // Without the flag, removing one address of a subnet removes the others with it: held VIPs would vanish.
  promote_secondaries: 'set net.ipv4.conf.IF.promote_secondaries=1 with sysctl instead; hotstandby does not change it',
};
