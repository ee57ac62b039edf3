#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into lib/fuzz/corpus/<target>/.

Run once after a harness's input format changes; the output is checked in.
Seeds are the real kernel's fdm (lib/tests/data) and hand-made valid tables
in each harness's input format (see the comment at the top of each
fuzz_*.cpp).
"""
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE.parent / "tests" / "data"
OUT = HERE / "corpus"
REAL_FDM = (DATA / "linux-6.12.107-pseries-2G-smp2.fdm").read_bytes()


def put(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def fdm(sections):
    """fdm as Linux rtas-fadump.c lays it out: 0x28-byte header, 0x28-byte sections."""
    hdr = struct.pack(">IHHIIQQQ", 1, len(sections), 0, 0x28, 0, 0, 0, 0)
    body = b"".join(struct.pack(">IHHQQQQ", 1, t, 0, src, ln, 0, dst)
                    for t, src, ln, dst in sections)
    return hdr + body


def configure_input(cmd, addr, payload):
    return struct.pack("<III", cmd, addr, len(payload)) + payload


# fuzz_fdm: the fdm bytes themselves.
put("fuzz_fdm", "linux-6.12.107-pseries-2G-smp2.fdm", REAL_FDM)
put("fuzz_fdm", "cpu-rmr", fdm([(1, 0, 0x27C0, 0x10000000), (0x11, 0, 0x1000000, 0x10010000)]))

# fuzz_configure (8 MiB guest, 2 threads: CPU state 0x27c0 bytes).
put("fuzz_configure", "register-real-fdm", configure_input(1, 0x7108B0, REAL_FDM))
# The real fdm's layout scaled into 8 MiB: CPU state, empty HPTE, boot
# memory (1.25 MiB) copied above it, the parameter area kept in place.
scaled = fdm([(0x0001, 0, 0x27C0, 0x140000), (0x0002, 0, 0, 0x1427C0),
              (0x0011, 0, 0x140000, 0x1427C0), (0x0100, 0x7FF000, 0x800, 0x7FF000)])
put("fuzz_configure", "register-scaled-fdm", configure_input(1, 0x7108B0, scaled))
put("fuzz_configure", "unregister", configure_input(2, 0x7108B0, scaled))
put("fuzz_configure", "invalidate", configure_input(3, 0, b""))

# fuzz_mpipl (32 MiB guest, skiboot base 0x100000, reload [0, 1 MiB)):
# OPAL's own memory and two kernel ranges, register data at the top.
HRMOR = 1 << 63


def table(entries):
    raw = b"".join(struct.pack(">QBBHI", a | HRMOR, region, 0, 0, size) for a, region, size in entries)
    return raw.ljust(0x400, b"\0")


mdst = table([(0x100000, 0x03, 0x40000), (0x200000, 0x80, 0x80000), (0x400000, 0x80, 0x80000)])
mddt = table([(0x1E00000, 0x03, 0x40000), (0x1E80000, 0x80, 0x80000), (0x1F00000, 0x80, 0x80000)])
proc = struct.pack(">IB11xQIIQII", 0, 0, 0x1F80000 | HRMOR, 0, 0x80000, 0, 0, 0)
assert len(proc) == 0x30
put("fuzz_mpipl", "skiboot-and-kernel", mdst + mddt + proc)
put("fuzz_mpipl", "empty-tables", bytes(0x830))
# Then skiboot's crashing PIR (1) and its fdt_entry path (asm/head.S): tdi,
# b +0x2c, mr r27,r3, b to "boot_entry" (mfspr r28,PVR), within 0x80 bytes.
head = bytearray(0x80)
for off, insn in ((0x0, 0x08000048), (0x4, 0x4800002C), (0x30, 0x7C7B1B78), (0x34, 0x48000020), (0x54, 0x7F9F42A6)):
    head[off:off + 4] = struct.pack(">I", insn)
put("fuzz_mpipl", "skiboot-head-opal-core", mdst + mddt + proc + struct.pack(">I", 1) + bytes(head))

# fuzz_spapr_state (64 MiB, 2 threads): the state of a registration and of
# an active dump (papr/migration_state.hpp), fdm at 0x100000.
state_fdm = fdm([(0x0001, 0, 0x27C0, 0x2000000), (0x0002, 0, 0, 0x20027C0),
                 (0x0011, 0, 0x1000000, 0x2010000)])


def state(kind, status, results):
    hdr = struct.pack(">IHHQIHHQ", 0x46445350, 1, kind, 0x100000, len(state_fdm), status, len(results), 0)
    return hdr + state_fdm + b"".join(struct.pack(">HHIQ", err, 0, 0, done) for err, done in results)


put("fuzz_spapr_state", "registered", state(1, 0, []))
put("fuzz_spapr_state", "dump-active", state(2, 0xC000, [(0, 0x27C0), (0, 0), (0, 0x1000000)]))
put("fuzz_spapr_state", "dump-active-error", state(2, 0xE000, [(0, 0x27C0), (0, 0), (0x4000, 0x800000)]))

# fuzz_crash_info (4 GiB): the crash info header as Linux lays it out
# (fadump-internal.h, version 1) in both byte orders, NR_CPUS 2048 and 8192.


def crash_info(order, mask_bytes, online):
    hdr = struct.pack(order + "QIIQQII", 0x4641444D50534947, 1, 1, 0x2345000, 0x1000, 384, mask_bytes)
    regs = b"".join(struct.pack(order + "Q", 0x1000 + i) for i in range(48))
    mask = struct.pack(order + "Q", online) + bytes(mask_bytes - 8)
    return hdr + regs + mask


put("fuzz_crash_info", "le-2048", crash_info("<", 256, 0x3))
put("fuzz_crash_info", "be-2048", crash_info(">", 256, 0x3))
put("fuzz_crash_info", "le-8192", crash_info("<", 1024, 0xF))
put("fuzz_crash_info", "linux-6.12-pseries-2G-smp2", (DATA / "linux-6.12-pseries-2G-smp2.crash-info").read_bytes())

# fuzz_vmcore_sources: a real register save area and VMCOREINFO note
# (Linux 6.12, pseries -smp 2: the first 4 KiB of the note hold all of its
# text) after a byte-order byte and the save area's length.
rsa = (DATA / "linux-6.12-pseries-2G-smp2.cpu-state").read_bytes()
note = (DATA / "linux-6.12-pseries-2G-smp2.vmcoreinfo").read_bytes()[:4096]
put("fuzz_vmcore_sources", "linux-6.12-pseries-2G-smp2", struct.pack(">BH", 0, len(rsa)) + rsa + note)
put("fuzz_vmcore_sources", "big-endian-note", struct.pack(">BH", 1, len(rsa)) + rsa +
    struct.pack(">III", 11, 8, 0) + b"VMCOREINFO\0\0" + b"PAGESIZ\n")

put("fuzz_selftest_crash", "crash", b"crash")
