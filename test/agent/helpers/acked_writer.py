#!/usr/bin/python3
"""A writer that logs every acknowledged write with its time, for the agent's fault tests.

Serial 4 KiB writes over NBD with TLS-PSK (libnbd); write n goes to block n, so no block is
ever written twice and every acknowledged write can be checked afterwards. Each write is
logged as "a <n> <t>" before it is sent and "k <n> <t>" once acknowledged, or "e <n> <t> <msg>"
when it fails (then the writer reconnects, to the endpoint --target-file names at that moment,
if given). t is CLOCK_REALTIME in ms. Ends at the stop file,
the deadline, or the last block.

  acked_writer.py write  --host H --port P --export E --identity I --psk-file F --log L --blocks N --stop S
  acked_writer.py write  --socket PATH --export E --log L --stop S      # plain NBD on a unix socket (the attach bridge)
  acked_writer.py write  --target-file T --identity I --psk-file F --log L --stop S   # T: "host port export"
  acked_writer.py verify --file copy.raw --log L [--acked-before MS]   # every acked write (before MS) is there
"""
import argparse
import json
import os
import struct
import sys
import time

import nbd

BLOCK = 4096
MAGIC = b"BPA1"


def stamp(n: int) -> bytes:
    head = MAGIC + struct.pack("<Q", n)
    return (head + bytes(((n * 13 + i) & 0xFF) for i in range(BLOCK)))[:BLOCK]


def now_ms() -> float:
    return time.time() * 1000.0


def endpoint(args):
    """--target-file (a line "host port export", read at every connect) or --host/--port/--export."""
    if args.target_file:
        with open(args.target_file) as f:
            host, port, export = f.read().split()
        return host, port, export
    return args.host, str(args.port), args.export


def connect(args):
    host, port, export = endpoint(args)
    h = nbd.NBD()
    if args.socket:
        h.set_export_name(args.export)
        h.connect_unix(args.socket)
        return h
    h.set_tls(nbd.TLS_REQUIRE)
    h.set_tls_username(args.identity)
    h.set_tls_psk_file(args.psk_file)
    h.set_export_name(export)
    h.connect_tcp(host, port)
    return h


def write(args) -> int:
    deadline = time.monotonic() + args.deadline_seconds
    h = None
    n = 0
    with open(args.log, "w", buffering=1) as log:
        while n < args.blocks and not os.path.exists(args.stop) and time.monotonic() < deadline:
            if h is None:
                try:
                    h = connect(args)
                except nbd.Error:
                    time.sleep(args.retry_ms / 1000.0)
                    continue
            log.write(f"a {n} {now_ms():.1f}\n")
            try:
                h.pwrite(stamp(n), n * BLOCK)
                log.write(f"k {n} {now_ms():.1f}\n")
                n += 1
            except nbd.Error as error:
                log.write(f"e {n} {now_ms():.1f} {str(error)[:100]}\n")
                n += 1  # its outcome is unknown: never reuse the block
                try:
                    h.shutdown()
                except nbd.Error:
                    pass
                h = None
    print(json.dumps({"writes": n}))
    return 0


def verify(args) -> int:
    acked = []
    with open(args.log) as f:
        for line in f:
            parts = line.split()
            if parts[0] == "k" and (args.acked_before is None or float(parts[2]) < args.acked_before):
                acked.append(int(parts[1]))
    lost = []
    with open(args.file, "rb") as f:
        for n in acked:
            f.seek(n * BLOCK)
            if f.read(BLOCK) != stamp(n):
                lost.append(n)
    print(json.dumps({"acked": len(acked), "lost": len(lost), "firstLost": lost[:10]}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["write", "verify"])
    for name in ["host", "export", "identity", "psk-file", "log", "stop", "file", "socket", "target-file"]:
        parser.add_argument(f"--{name}")
    parser.add_argument("--port", type=int)
    parser.add_argument("--blocks", type=int, default=200_000)
    parser.add_argument("--deadline-seconds", type=float, default=120)
    parser.add_argument("--retry-ms", type=float, default=50, help="pause between connection attempts")
    parser.add_argument("--acked-before", type=float)
    args = parser.parse_args()
    return {"write": write, "verify": verify}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
