/**
 * Kernel constants for rtnetlink (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h,
 * linux/if_addr.h, linux/if.h). These are Linux ABI and do not change between kernels.
 */

// linux/netlink.h: message types every netlink family shares.
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

// linux/netlink.h: nlmsg_flags.
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
/** Set on dump parts when the table changed during the dump: the result may be inconsistent. */
export const NLM_F_DUMP_INTR = 0x10;
// Modifiers of GET requests.
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
// Modifiers of NEW requests.
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
// Flags of NLMSG_ERROR acknowledgements.
/** The echoed request is only its header (NETLINK_CAP_ACK). */
export const NLM_F_CAPPED = 0x100;
/** Extended-ack attributes follow the echoed request (NETLINK_EXT_ACK). */
export const NLM_F_ACK_TLVS = 0x200;

/** linux/netlink.h: extended-ack attribute carrying the kernel's explanation text. */
export const NLMSGERR_ATTR_MSG = 1;

export const NLMSG_HEADER_LENGTH = 16;
export const NLMSG_ALIGN = 4;

// Socket-level values, used when the addon's constants table lacks them.
export const AF_NETLINK = 16;
export const NETLINK_ROUTE = 0;
export const SOL_NETLINK = 270;
export const NETLINK_ADD_MEMBERSHIP = 1;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;

// linux/rtnetlink.h: message types.
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;

// linux/rtnetlink.h: multicast groups, as numbers for NETLINK_ADD_MEMBERSHIP ...
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV6_IFADDR = 9;
// ... and as the legacy bind() bit mask (bit = 1 << (group - 1)).
export const RTMGRP_LINK = 0x1;
export const RTMGRP_IPV4_IFADDR = 0x10;
export const RTMGRP_IPV6_IFADDR = 0x100;

// linux/rtnetlink.h: route scopes (ifa_scope).
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_SITE = 200;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;

// linux/rtnetlink.h: ifinfomsg is 16 bytes (family, pad, type, index, flags, change).
export const IFINFOMSG_LENGTH = 16;
// linux/if_addr.h: ifaddrmsg is 8 bytes (family, prefixlen, flags, scope, index).
export const IFADDRMSG_LENGTH = 8;

// linux/if_link.h: link attributes.
export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_MASTER = 10;
export const IFLA_OPERSTATE = 16;
export const IFLA_EXT_MASK = 29;
/** linux/rtnetlink.h: IFLA_EXT_MASK bit asking the kernel to leave statistics out of replies. */
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;

// linux/if.h: RFC 2863 operational states (IFLA_OPERSTATE).
export const IF_OPER_UNKNOWN = 0;
export const IF_OPER_NOTPRESENT = 1;
export const IF_OPER_DOWN = 2;
export const IF_OPER_LOWERLAYERDOWN = 3;
export const IF_OPER_TESTING = 4;
export const IF_OPER_DORMANT = 5;
export const IF_OPER_UP = 6;

// linux/if.h: device flags (ifi_flags).
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_POINTOPOINT = 0x10;
export const IFF_RUNNING = 0x40;
export const IFF_NOARP = 0x80;
export const IFF_MULTICAST = 0x1000;
export const IFF_LOWER_UP = 0x10000;
export const IFF_DORMANT = 0x20000;

// linux/if_addr.h: address attributes.
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_CACHEINFO = 6;
export const IFA_FLAGS = 8;

// linux/if_addr.h: address flags (ifa_flags; IFA_FLAGS carries the full 32-bit set).
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_OPTIMISTIC = 0x04;
export const IFA_F_DADFAILED = 0x08;
export const IFA_F_HOMEADDRESS = 0x10;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_NOPREFIXROUTE = 0x200;

// linux/socket.h: address families as they appear in ifa_family / ifi_family.
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** linux/if.h: interface names are at most 15 bytes plus the terminating NUL. */
export const IFNAMSIZ = 16;

// linux/rtnetlink.h: route and rule message types.
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;

// linux/rtnetlink.h: struct rtmsg is 12 bytes (family, dst_len, src_len, tos, table, protocol,
// scope, type, flags); linux/fib_rules.h: struct fib_rule_hdr has the same size.
export const RTMSG_LENGTH = 12;
export const FIB_RULE_HDR_LENGTH = 12;

// linux/rtnetlink.h: route attributes.
export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_IIF = 3;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_MULTIPATH = 9;
export const RTA_TABLE = 15;
/** struct rtnexthop (len, flags, hops, ifindex) heads each RTA_MULTIPATH entry. */
export const RTNEXTHOP_LENGTH = 8;

// linux/rtnetlink.h: route types (rtm_type).
export const RTN_UNSPEC = 0;
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;
export const RTN_THROW = 9;

// linux/rtnetlink.h: route protocols (rtm_protocol); 18 is keepalived's own.
export const RTPROT_UNSPEC = 0;
export const RTPROT_BOOT = 3;
export const RTPROT_STATIC = 4;
export const RTPROT_KEEPALIVED = 18;

// linux/rtnetlink.h: reserved tables. Tables above 255 travel in RTA_TABLE only.
export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_COMPAT = 252;
export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

// linux/fib_rules.h: rule attributes.
export const FRA_DST = 1;
export const FRA_SRC = 2;
export const FRA_IIFNAME = 3;
export const FRA_GOTO = 4;
export const FRA_PRIORITY = 6;
export const FRA_FWMARK = 10;
export const FRA_TABLE = 15;
export const FRA_FWMASK = 16;
export const FRA_OIFNAME = 17;
export const FRA_PROTOCOL = 21;

// linux/fib_rules.h: rule actions.
export const FR_ACT_TO_TBL = 1;
export const FR_ACT_GOTO = 2;
export const FR_ACT_NOP = 3;
export const FR_ACT_BLACKHOLE = 6;
export const FR_ACT_UNREACHABLE = 7;
export const FR_ACT_PROHIBIT = 8;

// linux/if_link.h: link kinds (IFLA_LINKINFO) and macvlan modes.
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_MACVLAN_MODE = 1;
export const MACVLAN_MODE_PRIVATE = 1;
export const MACVLAN_MODE_VEPA = 2;
export const MACVLAN_MODE_BRIDGE = 4;
/** linux/netlink.h: marks an attribute whose value is more attributes. */
export const NLA_F_NESTED = 0x8000;
