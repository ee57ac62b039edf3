#!/usr/bin/env python3
"""Captures the crash info header a real kernel wrote (test data for
lib/tests/test_crash_info.cpp), from a finished default cycle's directory.

    lib/tests/data/capture-crash-info.py RUN_DIR OUT

RUN_DIR is a `fadump-lab run` directory of the default cycle (pseries VOF,
-m 2G): its qemu-command.txt is replayed in a scratch copy (fresh vmcore and
state disks, its own QMP socket and ground truth), the guest registers and
crashes as in the run, and once the capture kernel has /proc/vmcore
(console "FADUMP-LAB: capture vmcore_size=") the 4 KiB at fadumphdr_addr
(the RMR's destination plus its length: arch/powerpc/kernel/fadump.c) are
saved to OUT with QMP pmemsave; then QEMU quits. Prints the address.
"""
import json
import os
import pathlib
import shutil
import socket
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
        threading.Thread(target=lambda: [None for _ in qemu.stdout], daemon=True).start()
        sock = str(work / "qmp.sock")
        info = qmp(sock, [{"execute": "query-fadump"}])[0]["return"]
        rmr = next(s for s in info["sections"] if s["type"] == 0x11)
        addr = rmr["destination"] + rmr["length"]
        saved = qmp(sock, [{"execute": "pmemsave", "arguments": {"val": addr, "size": 4096,
                                                                  "filename": str(out)}},
                           {"execute": "quit"}])
        if "error" in saved[0]:
            sys.exit(f"pmemsave: {saved[0]['error']}")
        qemu.wait(timeout=30)
        print(f"fadumphdr_addr {addr:#x}: 4096 bytes in {out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
