#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Writes tests/data/import/sysfs/acs-switch/: a small hand-made sysfs PCI tree whose config
# files have 4096 bytes, so they carry PCIe extended capabilities (ACS, AER), as a root user
# reading /sys on a live machine sees them. Run from this directory; the output is committed.
#
#   00:00.0 host bridge 8086:2020 (Skylake-SP, on the kernel's P2P allowlist)
#   00:01.0 root port 8086:2030, ACS cap 0x1f ctrl 0x1d  -> 01:00.0 PLX 10b5:9797 upstream (AER only)
#           -> 02:00.0, 02:01.0 downstream ports, ACS cap 0x5f ctrl 0x00 (firmware left ACS off)
#           -> 03:00.0 GPU 10de:2335, 04:00.0 NVMe 144d:a80a
#   00:02.0 root port 8086:2032, ACS cap 0x1f ctrl 0x1d  -> 05:00.0 ConnectX 15b3:101b
import os, struct, shutil

ROOT = 'acs-switch'
shutil.rmtree(ROOT, ignore_errors=True)

def config(vendor, device, cls, sec=None, sub=None, acs=None, aer=True):
    c = bytearray(4096)
    struct.pack_into('<HH', c, 0, vendor, device)
    c[0x09] = cls & 0xff; c[0x0a] = (cls >> 8) & 0xff; c[0x0b] = (cls >> 16) & 0xff
    if sec is not None:
        c[0x0e] = 1; c[0x19] = sec; c[0x1a] = sub
    caps = []
    if aer: caps.append((0x0001, b'\0' * 0x44))
    if acs is not None: caps.append((0x000d, struct.pack('<HH', acs[0], acs[1])))
    off = 0x100
    for i, (cid, body) in enumerate(caps):
        nxt = off + 0x50 if i + 1 < len(caps) else 0
        struct.pack_into('<I', c, off, cid | (1 << 16) | (nxt << 20))
        c[off + 4: off + 4 + len(body)] = body
        off = nxt
    return bytes(c)

def resource(bars):
    lines = []
    for i in range(7):
        if i in bars:
            start, size, flags = bars[i]
            lines.append('0x%016x 0x%016x 0x%016x' % (start, start + size - 1, flags))
        else:
            lines.append('0x%016x 0x%016x 0x%016x' % (0, 0, 0))
    return '\n'.join(lines) + '\n'

MEM32 = 0x40200
MEM64_PREF = 0x14220c

def dev(path, vendor, device, cls, sec=None, sub=None, acs=None, aer=True, bars=None):
    d = os.path.join(ROOT, 'sys/devices', path)
    os.makedirs(d, exist_ok=True)
    for name, val in (('vendor', '0x%04x' % vendor), ('device', '0x%04x' % device),
                      ('class', '0x%06x' % cls), ('numa_node', '0')):
        open(os.path.join(d, name), 'w').write(val + '\n')
    if sec is not None:
        open(os.path.join(d, 'secondary_bus_number'), 'w').write('%d\n' % sec)
        open(os.path.join(d, 'subordinate_bus_number'), 'w').write('%d\n' % sub)
    open(os.path.join(d, 'config'), 'wb').write(config(vendor, device, cls, sec, sub, acs, aer))
    open(os.path.join(d, 'resource'), 'w').write(resource(bars or {}))
    bdf = os.path.basename(path)
    links = os.path.join(ROOT, 'sys/bus/pci/devices')
    os.makedirs(links, exist_ok=True)
    os.symlink('../../../devices/' + path, os.path.join(links, bdf))

dev('pci0000:00/0000:00:00.0', 0x8086, 0x2020, 0x060000, aer=False)
rp1 = 'pci0000:00/0000:00:01.0'
dev(rp1, 0x8086, 0x2030, 0x060400, 1, 4, acs=(0x1f, 0x1d))
usp = rp1 + '/0000:01:00.0'
dev(usp, 0x10b5, 0x9797, 0x060400, 2, 4)
dev(usp + '/0000:02:00.0', 0x10b5, 0x9797, 0x060400, 3, 3, acs=(0x5f, 0x00))
dev(usp + '/0000:02:01.0', 0x10b5, 0x9797, 0x060400, 4, 4, acs=(0x5f, 0x00))
dev(usp + '/0000:02:00.0/0000:03:00.0', 0x10de, 0x2335, 0x030200,
    bars={0: (0xa0000000, 16 << 20, MEM32), 1: (0x380000000000, 64 << 30, MEM64_PREF)})
dev(usp + '/0000:02:01.0/0000:04:00.0', 0x144d, 0xa80a, 0x010802,
    bars={0: (0xa1000000, 16 << 10, MEM32)})
rp2 = 'pci0000:00/0000:00:02.0'
dev(rp2, 0x8086, 0x2032, 0x060400, 5, 5, acs=(0x1f, 0x1d))
dev(rp2 + '/0000:05:00.0', 0x15b3, 0x101b, 0x020700,
    bars={0: (0x390000000000, 32 << 20, MEM64_PREF)})
os.makedirs(os.path.join(ROOT, 'proc'), exist_ok=True)
open(os.path.join(ROOT, 'proc/cpuinfo'), 'w').write(
    'processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n')

# bad-busrange/: malformed on purpose. The root port hands down bus 1, the device below it
# claims bus 2: `p2psim import sysfs` must name the device's directory and exit 2.
ROOT = 'bad-busrange'
shutil.rmtree(ROOT, ignore_errors=True)
dev('pci0000:00/0000:00:01.0', 0x8086, 0x2030, 0x060400, 1, 1)
dev('pci0000:00/0000:00:01.0/0000:02:00.0', 0x10de, 0x2335, 0x030200,
    bars={0: (0xa0000000, 16 << 20, MEM32)})

# sriov/: a ConnectX PF 01:00.0 on a root port with 3 VFs 01:00.1-3 (physfn links back to the PF,
# virtfnN links from it, as the kernel makes them); the root port has ACS with RR/CR set.
ROOT = 'sriov'
shutil.rmtree(ROOT, ignore_errors=True)
dev('pci0000:00/0000:00:00.0', 0x8086, 0x2020, 0x060000, aer=False)
dev('pci0000:00/0000:00:03.0', 0x8086, 0x2030, 0x060400, 1, 1, acs=(0x1f, 0x1d))
pf = 'pci0000:00/0000:00:03.0/0000:01:00.0'
dev(pf, 0x15b3, 0x101d, 0x020000, bars={0: (0x3a0000000000, 32 << 20, MEM64_PREF)})
for n in range(3):
    vf = 'pci0000:00/0000:00:03.0/0000:01:00.%d' % (n + 1)
    dev(vf, 0x15b3, 0x101e, 0x020000,
        bars={0: (0x3a0002000000 + n * (1 << 20), 1 << 20, MEM64_PREF)})
    os.symlink('../0000:01:00.0', os.path.join(ROOT, 'sys/devices', vf, 'physfn'))
    os.symlink('../0000:01:00.%d' % (n + 1),
               os.path.join(ROOT, 'sys/devices', pf, 'virtfn%d' % n))
