#!/usr/bin/python3
"""A self-verifying NBD writer (libnbd, TLS-PSK).

Writes 4 KiB blocks in a loop; each block is stamped with a sequence number, the block
index and a pattern derived from both. Every attempt is logged before it is sent and every
acknowledgement after it returns ("a <seq> <block>" / "k <seq>"), so afterwards each block
can be checked against the last write acknowledged for it. On a broken connection it
re-reads the endpoint file (which the test rewrites when the primary moves) and reconnects;
a write whose outcome is unknown is simply not counted as acknowledged.

  verifying_writer.py write  --endpoint E.json --log W.log --blocks N --stop S [--deadline-seconds T]
  verifying_writer.py verify --endpoint E.json --log W.log --blocks N      # read over NBD
  verifying_writer.py verify --file copy.raw   --log W.log --blocks N      # read a copy's file
  verifying_writer.py rate   --endpoint E.json --blocks N --seconds S --depth D  # 4 KiB random writes, prints IOPS
"""
import argparse
import json
import os
import struct
import sys
import tempfile
import time

import nbd

BLOCK = 4096
MAGIC = b"BPW1"
RECONNECT_PAUSE_S = 0.05


def stamp(seq: int, block: int) -> bytes:
    head = MAGIC + struct.pack("<QQ", seq, block)
    body = bytes(((seq * 31 + block * 7 + i) & 0xFF) for i in range(256))
    return (head + body * (BLOCK // 256))[:BLOCK]


def parse(data: bytes):
    if data[:4] != MAGIC:
        return None
    seq, block = struct.unpack("<QQ", data[4:20])
    return (seq, block) if data == stamp(seq, block) else ("corrupt", block)


def connect(endpoint_path: str):
    with open(endpoint_path) as f:
        endpoint = json.load(f)
    psk = tempfile.NamedTemporaryFile("w", delete=False, prefix="bp-psk-")
    os.chmod(psk.name, 0o600)
    psk.write(f"{endpoint['identity']}:{endpoint['keyHex']}\n")
    psk.close()
    h = nbd.NBD()
    h.set_tls(nbd.TLS_REQUIRE)
    h.set_tls_username(endpoint["identity"])
    h.set_tls_psk_file(psk.name)
    h.set_export_name(endpoint["exportName"])
    try:
        h.connect_tcp(endpoint["address"], str(endpoint["port"]))
    finally:
        os.unlink(psk.name)
    return h, endpoint


def write(args) -> int:
    deadline = time.monotonic() + args.deadline_seconds
    seq = 0
    reconnects = 0
    h = None
    with open(args.log, "w", buffering=1) as log:
        while not os.path.exists(args.stop) and time.monotonic() < deadline:
            if h is None:
                try:
                    h, endpoint = connect(args.endpoint)
                    log.write(f"c {endpoint['address']}:{endpoint['port']} {time.time():.3f}\n")
                    reconnects += 1
                except nbd.Error:
                    time.sleep(RECONNECT_PAUSE_S)
                    continue
            seq += 1
            block = seq % args.blocks
            log.write(f"a {seq} {block}\n")
            try:
                h.pwrite(stamp(seq, block), block * BLOCK)
                log.write(f"k {seq}\n")
            except nbd.Error as error:
                log.write(f"e {seq} {time.time():.3f} {str(error)[:120]}\n")
                try:
                    h.shutdown()
                except nbd.Error:
                    pass
                h = None
    print(json.dumps({"written": seq, "connections": reconnects}))
    return 0


def read_blocks(args):
    if args.file:
        with open(args.file, "rb") as f:
            for block in range(args.blocks):
                f.seek(block * BLOCK)
                yield block, f.read(BLOCK)
    else:
        h, _ = connect(args.endpoint)
        for block in range(args.blocks):
            yield block, h.pread(BLOCK, block * BLOCK)
        h.shutdown()


def verify(args) -> int:
    attempted = {}
    block_of = {}
    acked_last = {}
    acked_count = 0
    with open(args.log) as f:
        for line in f:
            parts = line.split()
            if parts[0] == "a":
                seq, block = int(parts[1]), int(parts[2])
                attempted.setdefault(block, set()).add(seq)
                block_of[seq] = block
            elif parts[0] == "k":
                seq = int(parts[1])
                acked_count += 1
                block = block_of[seq]
                acked_last[block] = max(acked_last.get(block, 0), seq)
    lost = []
    for block, data in read_blocks(args):
        found = parse(data)
        want = acked_last.get(block)
        if want is None:
            continue
        if found is None or found[0] == "corrupt" or found[1] != block:
            lost.append({"block": block, "acked": want, "found": None if found is None else str(found[0])})
        elif found[0] < want or found[0] not in attempted[block]:
            lost.append({"block": block, "acked": want, "found": found[0]})
    print(json.dumps({"blocksWithAckedWrites": len(acked_last), "ackedWrites": acked_count, "lost": lost[:20], "lostCount": len(lost)}))
    return 1 if lost else 0


def rate(args) -> int:
    """Keeps `depth` 4 KiB writes in flight for `seconds` (after a 1 s warm-up) and prints the rate."""
    import random
    h, _ = connect(args.endpoint)
    buf = nbd.Buffer.from_bytearray(bytearray(stamp(0, 0)))
    done = [0]

    def completed(*_):
        done[0] += 1
        return 1

    def fill(until):
        while h.aio_in_flight() < args.depth and time.monotonic() < until:
            h.aio_pwrite(buf, random.randrange(args.blocks) * BLOCK, completion=completed)

    warm_until = time.monotonic() + 1.0
    while time.monotonic() < warm_until:
        fill(warm_until)
        h.poll(100)
    while h.aio_in_flight() > 0:
        h.poll(100)
    done[0] = 0
    start = time.monotonic()
    until = start + args.seconds
    while time.monotonic() < until:
        fill(until)
        h.poll(100)
    while h.aio_in_flight() > 0:
        h.poll(100)
    elapsed = time.monotonic() - start
    h.shutdown()
    print(json.dumps({"ops": done[0], "seconds": round(elapsed, 3), "iops": round(done[0] / elapsed, 1)}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["write", "verify", "rate"])
    parser.add_argument("--endpoint")
    parser.add_argument("--file")
    parser.add_argument("--log")
    parser.add_argument("--blocks", type=int, required=True)
    parser.add_argument("--stop", default="/nonexistent")
    parser.add_argument("--deadline-seconds", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--depth", type=int, default=8)
    args = parser.parse_args()
    return {"write": write, "verify": verify, "rate": rate}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
