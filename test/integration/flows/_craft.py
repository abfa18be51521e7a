#!/usr/bin/env python3
"""Send hand-crafted Ethernet/IPv4/TCP|UDP frames on an interface (AF_PACKET).

Test fixture for the flow integration tests: scan packets (TCP NULL / Xmas /
FIN), spoofed sources and TTL-1 packets that no socket API would send.
usage: _craft.py IFACE SRC_MAC DST_MAC SRC_IP DST_IP tcp|udp FLAGS SPORT DPORT COUNT [TTL] [FRAG]
"""
import socket, struct, sys


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def mac(s):
    return bytes(int(x, 16) for x in s.split(':'))


def main():
    iface, smac, dmac, sip, dip, proto, flags, sport, dport, count = sys.argv[1:11]
    ttl = int(sys.argv[11]) if len(sys.argv) > 11 else 64
    frag = int(sys.argv[12]) if len(sys.argv) > 12 else 0
    src, dst = socket.inet_aton(sip), socket.inet_aton(dip)
    payload = b'privroute-test'
    if proto == 'tcp':
        hdr = struct.pack('!HHIIBBHHH', int(sport), int(dport), 1000, 0, 5 << 4, int(flags) & 0xff, 64240, 0, 0)
        num = 6
    else:
        hdr = struct.pack('!HHHH', int(sport), int(dport), 8 + len(payload), 0)
        num = 17
    l4 = hdr + payload
    pseudo = src + dst + struct.pack('!BBH', 0, num, len(l4))
    c = csum(pseudo + l4)
    l4 = l4[:16] + struct.pack('!H', c) + l4[18:] if num == 6 else l4[:6] + struct.pack('!H', c) + l4[8:]
    # frag: 1 = "more fragments" set (a first fragment), offset 0.
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 4242, 0x2000 if frag else 0, ttl, num, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    frame = mac(dmac) + mac(smac) + b'\x08\x00' + ip + l4
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for _ in range(int(count)):
        s.send(frame)


main()
