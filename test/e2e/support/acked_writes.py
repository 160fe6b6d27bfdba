#!/usr/bin/python3
"""Acknowledged-write log, verifier and stale-read checker for the fault harness (libnbd, TLS-PSK).

Every write goes to a 4 KiB block never written before in the run (blocks first, first+1, ...;
the writer stops rather than wrap), so each acknowledged write can be checked on its own: a
block holds either the stamp of the one write sent to it, or that write was lost.

  acked_writes.py write  --endpoint E.json --log W.log --stop S --blocks N [--max-rate R] [--io-timeout-seconds T]
  acked_writes.py read   --endpoint E.json --log W.log --out R.json --stop S [--pin]
  acked_writes.py verify (--endpoint E.json | --file copy.raw) --log W.log [--mark name=epoch ...]

Writer log, one line per event (times are epoch seconds):
  c <t> <address>:<port>          connected (the endpoint file is re-read on every reconnect)
  a <seq> <block> <t>             sent
  k <seq> <block> <t>             acknowledged
  e <seq> <block> <t> <message>   failed or timed out (outcome unknown; not counted as acknowledged)
  x <t> <reason>                  writer ended: stopped | exhausted | deadline

The reader samples blocks whose write the log shows acknowledged (alternately the newest and a
random older one) and reads them from the endpoint it is connected to: `--pin` keeps the endpoint
it started with (an old primary that still answers), otherwise it follows the endpoint file. A
read that returns anything but the acknowledged stamp is stale.
"""
import argparse
import json
import os
import random
import struct
import sys
import tempfile
import time

import nbd

BLOCK = 4096
MAGIC = b"BPA1"
RECONNECT_PAUSE_S = 0.05
POLL_MS = 50
READ_PAUSE_S = 0.005
CONNECT_TIMEOUT_S = 5.0
CHUNK_BLOCKS = 256


def stamp(seq: int, block: int) -> bytes:
    head = MAGIC + struct.pack("<QQ", seq, block)
    body = bytes(((seq * 31 + block * 7 + i) & 0xFF) for i in range(256))
    return (head + body * (BLOCK // 256))[:BLOCK]


def found_seq(data: bytes, block: int):
    """The sequence number stamped in `data` if it is an intact stamp for `block`, else None."""
    if data[:4] != MAGIC:
        return None
    seq, stamped_block = struct.unpack("<QQ", data[4:20])
    return seq if stamped_block == block and data == stamp(seq, block) else None


def load_endpoint(path: str):
    with open(path) as f:
        return json.load(f)


def wait_for(h, done, deadline: float) -> None:
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        h.poll(POLL_MS)


def connect(endpoint) -> "nbd.NBD":
    psk = tempfile.NamedTemporaryFile("w", delete=False, prefix="bp-psk-")
    os.chmod(psk.name, 0o600)
    psk.write(f"{endpoint['identity']}:{endpoint['keyHex']}\n")
    psk.close()
    h = nbd.NBD()
    try:
        h.set_tls(nbd.TLS_REQUIRE)
        h.set_tls_username(endpoint["identity"])
        h.set_tls_psk_file(psk.name)
        h.set_export_name(endpoint["exportName"])
        h.aio_connect_tcp(endpoint["address"], str(endpoint["port"]))
        wait_for(h, h.aio_is_ready, time.monotonic() + CONNECT_TIMEOUT_S)
    finally:
        os.unlink(psk.name)
    return h


def io(h, start, timeout_s: float) -> None:
    """Runs one aio command to completion or raises (nbd.Error, TimeoutError)."""
    cookie = start()
    wait_for(h, lambda: h.aio_command_completed(cookie), time.monotonic() + timeout_s)


def write(args) -> int:
    deadline = time.monotonic() + args.deadline_seconds
    started = time.monotonic()
    seq = 0
    h = None
    reason = "stopped"
    with open(args.log, "w", buffering=1) as log:
        while not os.path.exists(args.stop):
            if time.monotonic() > deadline:
                reason = "deadline"
                break
            if seq >= args.blocks:
                reason = "exhausted"
                break
            if h is None:
                try:
                    endpoint = load_endpoint(args.endpoint)
                    h = connect(endpoint)
                    log.write(f"c {time.time():.6f} {endpoint['address']}:{endpoint['port']}\n")
                except (nbd.Error, TimeoutError, OSError, ValueError):
                    h = None
                    time.sleep(RECONNECT_PAUSE_S)
                    continue
            if args.max_rate > 0:
                pause = started + seq / args.max_rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
            block = args.first_block + seq
            seq += 1
            buf = nbd.Buffer.from_bytearray(bytearray(stamp(seq, block)))
            log.write(f"a {seq} {block} {time.time():.6f}\n")
            try:
                io(h, lambda: h.aio_pwrite(buf, block * BLOCK), args.io_timeout_seconds)
                log.write(f"k {seq} {block} {time.time():.6f}\n")
            except (nbd.Error, TimeoutError) as error:
                log.write(f"e {seq} {block} {time.time():.6f} {str(error)[:120]}\n")
                h = None
        log.write(f"x {time.time():.6f} {reason}\n")
    print(json.dumps({"written": seq, "reason": reason}))
    return 0


class AckedLog:
    """Follows a writer log as it grows: the acknowledged (block, seq) pairs so far."""

    def __init__(self, path: str):
        self.path = path
        self.offset = 0
        self.partial = ""
        self.acked = []

    def refresh(self) -> None:
        if not os.path.exists(self.path):
            return
        with open(self.path) as f:
            f.seek(self.offset)
            text = f.read()
            self.offset = f.tell()
        lines = (self.partial + text).split("\n")
        self.partial = lines.pop()
        for line in lines:
            parts = line.split()
            if parts and parts[0] == "k":
                self.acked.append((int(parts[2]), int(parts[1])))


def read(args) -> int:
    acked = AckedLog(args.log)
    endpoint = load_endpoint(args.endpoint)
    endpoint_mtime = os.stat(args.endpoint).st_mtime_ns
    h = None
    reads = {}
    errors = 0
    stale = []
    i = 0
    while not os.path.exists(args.stop):
        if not args.pin:
            mtime = os.stat(args.endpoint).st_mtime_ns
            if mtime != endpoint_mtime:
                endpoint_mtime = mtime
                fresh = load_endpoint(args.endpoint)
                if fresh != endpoint:
                    endpoint = fresh
                    h = None
        if h is None:
            try:
                h = connect(endpoint)
            except (nbd.Error, TimeoutError, OSError):
                h = None
                time.sleep(RECONNECT_PAUSE_S * 4)
                continue
        acked.refresh()
        if not acked.acked:
            time.sleep(READ_PAUSE_S)
            continue
        i += 1
        block, seq = acked.acked[-1] if i % 2 else random.choice(acked.acked)
        buf = nbd.Buffer(BLOCK)
        address = f"{endpoint['address']}:{endpoint['port']}"
        try:
            io(h, lambda: h.aio_pread(buf, block * BLOCK), args.io_timeout_seconds)
        except (nbd.Error, TimeoutError):
            errors += 1
            h = None
            continue
        reads[address] = reads.get(address, 0) + 1
        found = found_seq(buf.to_bytearray(), block)
        if found != seq:
            stale.append({"t": round(time.time(), 3), "block": block, "acked": seq, "found": found, "address": address})
        time.sleep(READ_PAUSE_S)
    summary = {"reads": sum(reads.values()), "readsByAddress": reads, "errors": errors, "staleCount": len(stale), "stale": stale[:10]}
    with open(args.out, "w") as f:
        json.dump(summary, f)
    print(json.dumps(summary))
    return 0


def read_chunks(args, first: int, last: int):
    """Yields (block, data) for blocks first..last, from a copy's file or over NBD."""
    if args.file:
        with open(args.file, "rb") as f:
            f.seek(first * BLOCK)
            for start in range(first, last + 1, CHUNK_BLOCKS):
                count = min(CHUNK_BLOCKS, last + 1 - start)
                data = f.read(count * BLOCK)
                for j in range(count):
                    yield start + j, data[j * BLOCK:(j + 1) * BLOCK]
        return
    h = connect(load_endpoint(args.endpoint))
    for start in range(first, last + 1, CHUNK_BLOCKS):
        count = min(CHUNK_BLOCKS, last + 1 - start)
        data = h.pread(count * BLOCK, start * BLOCK)
        for j in range(count):
            yield start + j, data[j * BLOCK:(j + 1) * BLOCK]
    h.shutdown()


def verify(args) -> int:
    marks = dict((name, float(t)) for name, t in (m.split("=", 1) for m in args.mark))
    acked = {}
    failed = 0
    sent = 0
    connections = []
    ack_connections = []
    ack_times = []
    ended = None
    with open(args.log) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "c":
                connections.append((float(parts[1]), parts[2]))
            elif parts[0] == "a":
                sent += 1
            elif parts[0] == "k":
                seq, block, t = int(parts[1]), int(parts[2]), float(parts[3])
                acked[block] = (seq, t)
                ack_connections.append(len(connections) - 1)
                ack_times.append(t)
            elif parts[0] == "e":
                failed += 1
            elif parts[0] == "x":
                ended = parts[2]
    stall = {"ms": 0, "from": None}
    for before, after in zip(ack_times, ack_times[1:]):
        if (after - before) * 1000 > stall["ms"]:
            stall = {"ms": round((after - before) * 1000, 1), "from": round(before, 3)}
    lost = []
    lost_after = {name: 0 for name in marks}
    if acked:
        for block, data in read_chunks(args, min(acked), max(acked)):
            want = acked.get(block)
            if want is None:
                continue
            found = found_seq(data, block)
            if found != want[0]:
                lost.append({"block": block, "acked": want[0], "ackedAt": round(want[1], 3), "found": found})
                for name, t in marks.items():
                    if want[1] >= t:
                        lost_after[name] += 1
    after = {name: sum(1 for t in ack_times if t >= mark) for name, mark in marks.items()}
    first_after = {}
    resumed_after = {}
    for name, mark in marks.items():
        later = [t for t in ack_times if t >= mark]
        first_after[name] = round((later[0] - mark) * 1000, 1) if later else None
        fresh = [t for t, connection in zip(ack_times, ack_connections) if connections[connection][0] >= mark]
        resumed_after[name] = round((fresh[0] - mark) * 1000, 1) if fresh else None
    print(json.dumps({
        "ackedWrites": len(acked),
        "sentWrites": sent,
        "failedWrites": failed,
        "connections": [address for _, address in connections],
        "ended": ended,
        "longestStall": stall,
        "ackedAfter": after,
        "firstAckAfterMs": first_after,
        "firstAckOnNewConnectionAfterMs": resumed_after,
        "lostCount": len(lost),
        "lostAfter": lost_after,
        "lost": lost[:10],
    }))
    return 1 if lost else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["write", "read", "verify"])
    parser.add_argument("--endpoint")
    parser.add_argument("--file")
    parser.add_argument("--log", required=True)
    parser.add_argument("--out")
    parser.add_argument("--stop", default="/nonexistent")
    parser.add_argument("--pin", action="store_true")
    parser.add_argument("--blocks", type=int, default=1 << 18)
    parser.add_argument("--first-block", type=int, default=0)
    parser.add_argument("--max-rate", type=float, default=0)
    parser.add_argument("--io-timeout-seconds", type=float, default=30)
    parser.add_argument("--deadline-seconds", type=float, default=600)
    parser.add_argument("--mark", action="append", default=[])
    args = parser.parse_args()
    return {"write": write, "read": read, "verify": verify}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
