#!/usr/bin/env python3
"""Captures what a real kernel and our platform left for the capture kernel,
and the /proc/vmcore headers the capture kernel built from it (test data for
lib/tests/test_crash_info.cpp and test_vmcore_export.cpp), from a finished
default cycle's directory.

    lib/tests/data/capture-fadump-fixture.py RUN_DIR OUT_PREFIX

RUN_DIR is a `fadump-lab run` directory of the default cycle (pseries VOF,
-m 2G): its qemu-command.txt is replayed in a scratch copy (fresh vmcore and
state disks, its own QMP socket and ground truth), the guest registers and
crashes as in the run, and once the capture kernel has /proc/vmcore
(console "FADUMP-LAB: capture vmcore_size=") the 4 KiB at fadumphdr_addr
(the RMR's destination plus its length: arch/powerpc/kernel/fadump.c) are
saved to OUT_PREFIX.crash-info with QMP pmemsave, with the CPU state data
(the register save area at its section's destination, .cpu-state), the
VMCOREINFO note at the header's vmcoreinfo_raddr (.vmcoreinfo) and QMP's
query-fadump (.query-fadump.json). Once the capture kernel copied
/proc/vmcore to its disk (console "FADUMP-LAB: copied"), the copy's ELF
header, program headers and notes (everything before the first PT_LOAD's
bytes) go to .vmcore-head; then QEMU quits.
"""
import json
import os
import pathlib
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time


def qmp(sock_path, commands):
    s = socket.socket(socket.AF_UNIX)
    for _ in range(100):
        try:
            s.connect(sock_path)
            break
        except OSError:
            time.sleep(0.1)
    f = s.makefile("rw")
    json.loads(f.readline())  # greeting
    answers = []
    for c in [{"execute": "qmp_capabilities"}] + commands:
        f.write(json.dumps(c) + "\n")
        f.flush()
        while True:
            m = json.loads(f.readline())
            if "return" in m or "error" in m:
                answers.append(m)
                break
    s.close()
    return answers[1:]


def save(sock, addr, size, path):
    saved = qmp(sock, [{"execute": "pmemsave", "arguments": {"val": addr, "size": size,
                                                              "filename": str(path)}}])
    if "error" in saved[0]:
        sys.exit(f"pmemsave {addr:#x} +{size:#x}: {saved[0]['error']}")


def vmcore_head(path, order):
    """The vmcore copy's bytes before its first PT_LOAD's bytes."""
    with open(path, "rb") as f:
        ehdr = f.read(64)
        phoff, = struct.unpack_from(order + "Q", ehdr, 0x20)
        phnum, = struct.unpack_from(order + "H", ehdr, 0x38)
        f.seek(phoff)
        phdrs = f.read(56 * phnum)
        first = min(struct.unpack_from(order + "Q", phdrs, 56 * i + 8)[0]
                    for i in range(phnum)
                    if struct.unpack_from(order + "I", phdrs, 56 * i)[0] == 1)
        f.seek(0)
        return f.read(first)


def main():
    run_dir, out = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2]).resolve()
    argv = (run_dir / "qemu-command.txt").read_text().splitlines()
    work = pathlib.Path(tempfile.mkdtemp(prefix="crash-info-"))
    try:
        shutil.copy(run_dir / "initrd.img", work / "initrd.img")
        with open(work / "vmcore", "wb") as f:
            f.truncate(2 << 30)
        with open(work / "state", "wb") as f:
            f.truncate(1 << 20)
        argv = [a.replace(str(run_dir), str(work)) for a in argv]
        qemu = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                errors="replace")
        deadline = time.time() + 300
        for line in qemu.stdout:
            if "FADUMP-LAB: capture vmcore_size=" in line:
                break
            if time.time() > deadline:
                sys.exit("no capture kernel within 300 s")
        # Keep reading the console so QEMU never blocks on a full pipe.
        console_tail = [""]

        def drain():
            for console_line in qemu.stdout:
                console_tail[0] += console_line
        threading.Thread(target=drain, daemon=True).start()
        sock = str(work / "qmp.sock")
        info = qmp(sock, [{"execute": "query-fadump"}])[0]["return"]
        pathlib.Path(f"{out}.query-fadump.json").write_text(json.dumps(info, indent=1) + "\n")
        rmr = next(s for s in info["sections"] if s["type"] == 0x11)
        cpu = next(s for s in info["sections"] if s["type"] == 0x01)
        hdr_addr = rmr["destination"] + rmr["length"]
        save(sock, hdr_addr, 4096, f"{out}.crash-info")
        magic, = struct.unpack_from("<Q", open(f"{out}.crash-info", "rb").read())
        order = "<" if magic == 0x4641444D50534947 else ">"
        raddr, rsize = struct.unpack_from(order + "QQ", open(f"{out}.crash-info", "rb").read(), 0x10)
        save(sock, raddr, rsize, f"{out}.vmcoreinfo")
        save(sock, cpu["destination"], cpu["length"], f"{out}.cpu-state")
        while "FADUMP-LAB: copied" not in console_tail[0]:
            if time.time() > deadline or qemu.poll() is not None:
                sys.exit("the capture kernel did not copy /proc/vmcore")
            time.sleep(0.2)
        try:
            qmp(sock, [{"execute": "quit"}])
        except ConnectionResetError:
            pass  # QEMU may close the socket before its answer
        qemu.wait(timeout=30)
        head = vmcore_head(work / "vmcore", order)
        pathlib.Path(f"{out}.vmcore-head").write_bytes(head)
        print(f"fadumphdr_addr {hdr_addr:#x}, VMCOREINFO {raddr:#x} +{rsize:#x}, "
              f"CPU state data {cpu['destination']:#x} +{cpu['length']:#x}, "
              f"vmcore head {len(head)} bytes: {out}.*")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
