/**
 * The SO_MARK the VPS engine's `freedom` outbound puts on every connection it
 * opens on behalf of a client (0x7072, "pr"). The VPS egress firewall matches it
 * (`-m mark --mark`), so exactly those connections are confined, and nothing else
 * on the VPS (sshd, the engine's API on loopback, the host's own services) is.
 * Why a mark and not a dedicated user (`--uid-owner`): the engine runs as root on
 * every kind of VPS privroute provisions (systemd or plain processes, packaged or
 * uploaded binaries), and its API inbound and DNS replies must stay unconfined; a
 * socket mark names the client-driven connections themselves.
 */
export const EGRESS_MARK = 0x7072;
