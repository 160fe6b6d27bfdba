"""Does a write-blocking mirror started under a writer leave a write off its target?

Usage: python3 test/soak/mirror-start-race.py DIR RUNS SIZE_MIB [full|none] [options]

  --net unix|tls      unix: NBD over unix sockets, no TLS (the first trial's set-up). tls: as the
                      agent builds it: every NBD server on 127.0.0.1 TCP with tls-creds-psk
                      (max-connections 16), the target probed with nbdinfo first, the peer node
                      with tls-creds, reconnect-delay 30, open-timeout 5 (mirror-peer.ts).
  --iops N            the throttle group of every copy gets the complete limits struct with
                      iops-total N (throttle-limits.ts; hdd volumes 100-500, ssd 3000-16000;
                      0 = the group exists but limits nothing, as in the first trial).
  --writer fio|acked  fio: 4 KiB random writes at queue depth 32 over the first 16 MiB (with
                      --net tls a libnbd writer does the same: fio's nbd engine reads no PSK file).
                      acked: the fault harness's writer (test/e2e/support/acked_writes.py, libnbd
                      with TLS-PSK, needs --net tls): one 4 KiB write at a time, each to a block
                      never written before (0, 1, 2, ...), at most 1,000 a second; every
                      acknowledged write is then checked on the target's file.
  --promoted          the source is a PROMOTED former mirror (copy-controller.ts promoteCopy): it
                      is first built as a mirror (export `vol.g1` on its root, writethrough) of an
                      old primary P that mirrors to it (sync none, write-blocking) while the
                      writer writes to P; P is killed (SIGKILL), the source's mirror export is
                      deleted (mode hard), its key file becomes the client key, and after
                      --lease-s its client export `vol` comes back on its root (not writethrough);
                      the writer reconnects to it, and then the new mirror is started from it.
  --lease-s S         the wait before a promoted copy serves (agent: lease 10 s + 2 s). Default 1.
  --lead-s S          writing time before the mirror starts; each run draws uniformly from
                      [S/2, 3S/2] so that the start falls at different moments. Default 0.7.
  --cut-clients       the candidate fix: the source's client export is deleted (mode hard) before
                      blockdev-mirror and added again on the filter node once it returns; the
                      writer reconnects (needs --net tls).
  --trace             trace the source daemon (mirror, block-layer reads and writes, NBD requests,
                      blockdev-mirror's start and end); the trace of a differing run is kept.

The daemons are built as the agent builds a copy (copy-store.ts, copy-graph.ts, copy-exports.ts):
a preallocated raw file (qemu-img preallocation=falloc), file (O_DIRECT, aio=native) -> raw ->
throttle (the copy's root, group tg-<name>); the export on the root; the target's export writethrough on its root (a mirror's). The mirror starts as
mirror-job.ts starts it: the resync bitmap `bp-resync` (64 KiB) re-added on the raw node, then
`blockdev-mirror` of the root (`copy-mode: write-blocking`, the given sync, filter node,
auto-dismiss off, on-*-error report). The mirror filter is inserted above the root, so the throttle
sits BELOW it and the export (a parent of the root) is moved onto it: a write queued in the
throttle has already passed the filter.

After READY the writer writes on for 0.3 s and stops; with the job still running (as the fault
harness reads a mirror's file) the files are compared 4 KiB block by block, the job's dirty count
is read (the filter node's anonymous bitmap), and with the acked writer every acknowledged write
is checked on the target's file. Then the job is cancelled (in READY: a final sync) and the files
are compared again. Every write the writer completed is on the source, so a difference while the
job runs is a write the mirror left off the target. `none` is the control: it copies nothing
written before the job, so every run must differ (the comparison catches a missing write).
Every daemon and writer is ended by its PID; DIR keeps the logs (daemons', writer's) and the
traces of differing runs, nothing else. See
docs/replication-safety.md ("What is not covered").
"""
import argparse, json, os, random, re, shutil, socket, struct, subprocess, sys, time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ACKED_WRITER = os.path.join(REPO, 'test', 'e2e', 'support', 'acked_writes.py')
LIBNBD_PYTHON = '/usr/bin/python3'  # the interpreter with libnbd's bindings (as the harness uses)
BLOCK = 4096
GRANULARITY = 65536

p = argparse.ArgumentParser(usage=__doc__.split('\n\n')[1])
p.add_argument('dir'); p.add_argument('runs', type=int); p.add_argument('size_mib', type=int)
p.add_argument('sync', nargs='?', default='full', choices=['full', 'none'])
p.add_argument('--net', default='unix', choices=['unix', 'tls'])
p.add_argument('--iops', type=int, default=0)
p.add_argument('--writer', default='fio', choices=['fio', 'acked'])
p.add_argument('--promoted', action='store_true')
p.add_argument('--lease-s', type=float, default=1.0)
p.add_argument('--lead-s', type=float, default=0.7)
p.add_argument('--trace', action='store_true')
p.add_argument('--cut-clients', action='store_true')
A = p.parse_args()
if A.writer == 'acked' and A.net != 'tls': sys.exit('--writer acked needs --net tls (the harness writer always uses TLS-PSK)')
D = os.path.abspath(A.dir); SIZE = A.size_mib << 20; SYNC = A.sync
os.makedirs(D, exist_ok=True)
KEY_CLIENT = ('client-vol', os.urandom(32).hex())
KEY_REPL = ('repl-vol', os.urandom(32).hex())


class Qmp:
    def __init__(self, path):
        for _ in range(250):
            try:
                self.s = socket.socket(socket.AF_UNIX); self.s.connect(path); break
            except OSError: time.sleep(0.02)
        else: raise RuntimeError(f'no QMP at {path}')
        self.f = self.s.makefile('rw'); self.events = []
        json.loads(self.f.readline()); self.cmd('qmp_capabilities')
    def cmd(self, _name, **args):
        self.f.write(json.dumps({'execute': _name, 'arguments': args}) + '\n'); self.f.flush()
        while True:
            m = json.loads(self.f.readline())
            if 'event' in m: self.events.append(m); continue
            if 'error' in m: raise RuntimeError(f'{_name}: {m["error"]}')
            if 'return' in m: return m['return']
    def quiet(self, _name, **args):
        try: return self.cmd(_name, **args)
        except RuntimeError: return None
    def wait(self, names, timeout=120, pred=lambda e: True):
        end = time.time() + timeout
        while True:
            for e in self.events:
                if e['event'] in names and pred(e): self.events.remove(e); return e
            if time.time() >= end: raise TimeoutError(names)
            self.s.settimeout(max(0.01, end - time.time()))
            try:
                line = self.f.readline()
            except (socket.timeout, TimeoutError): continue
            finally: self.s.settimeout(None)
            if not line: raise RuntimeError('QMP closed')
            m = json.loads(line)
            if 'event' in m: self.events.append(m)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def limits(iops):
    """The complete ThrottleLimits struct, as buildThrottleLimits({ iopsTotal }) sends it."""
    out = {}
    for kind in ('iops', 'bps'):
        for rw in ('total', 'read', 'write'):
            out[f'{kind}-{rw}'] = 0; out[f'{kind}-{rw}-max'] = 0; out[f'{kind}-{rw}-max-length'] = 1
    out['iops-total'] = iops; out['iops-size'] = 0
    return out


def write_keys(dirname, keys):
    os.makedirs(dirname, exist_ok=True)
    with open(f'{dirname}/keys.psk.tmp', 'w') as f:
        for ident, key in keys: f.write(f'{ident}:{key}\n')
    os.chmod(f'{dirname}/keys.psk.tmp', 0o600); os.replace(f'{dirname}/keys.psk.tmp', f'{dirname}/keys.psk')


class Copy:
    """One copy's daemon and graph, as copy-graph.ts / copy-exports.ts build them."""
    def __init__(self, name):
        self.n = name; self.port = None; self.export_name = None
        for ext in ('qmp', 'nbd'):
            try: os.unlink(f'{D}/{name}.{ext}')
            except FileNotFoundError: pass
        if os.path.exists(f'{D}/{name}.raw'): os.unlink(f'{D}/{name}.raw')
        # as copy-store.ts creates a copy: preallocated (unwritten extents), not sparse
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'raw', '-o', 'preallocation=falloc', f'{D}/{name}.raw', str(SIZE)], check=True)
        trace = []
        if A.trace and name == 's':
            with open(f'{D}/trace-events', 'w') as f:
                f.write('\n'.join(['mirror_*', 'qmp_enter_blockdev_mirror', 'qmp_exit_blockdev_mirror', 'job_state_transition', 'blk_co_pwritev', 'blk_co_preadv',
                                   'bdrv_co_pwritev_part', 'bdrv_co_preadv_part', 'nbd_co_receive_request_decode_type', 'nbd_co_send_simple_reply']) + '\n')
            trace = ['--trace', f'events={D}/trace-events,file={D}/s.trace']
            if os.path.exists(f'{D}/s.trace'): os.unlink(f'{D}/s.trace')
        self.proc = subprocess.Popen(['qemu-storage-daemon', '--chardev', f'socket,id=m,path={D}/{name}.qmp,server=on,wait=off', '--monitor', 'chardev=m'] + trace,
                                     stdout=open(f'{D}/{name}.log', 'a'), stderr=subprocess.STDOUT)
        try:
            self.q = q = Qmp(f'{D}/{name}.qmp')
            q.cmd('object-add', **{'qom-type': 'throttle-group', 'id': f'tg-{name}', 'limits': limits(A.iops)})
            q.cmd('blockdev-add', **{'driver': 'file', 'node-name': f'{name}-file', 'filename': f'{D}/{name}.raw', 'cache': {'direct': True, 'no-flush': False}, 'aio': 'native', 'read-only': False})
            q.cmd('blockdev-add', **{'driver': 'raw', 'node-name': f'{name}-fmt', 'file': f'{name}-file', 'read-only': False})
            q.cmd('blockdev-add', **{'driver': 'throttle', 'node-name': name, 'throttle-group': f'tg-{name}', 'file': f'{name}-fmt', 'read-only': False})
        except BaseException:
            self.proc.kill(); self.proc.wait(); raise

    def serve(self, keys):
        if A.net == 'unix':
            self.q.cmd('nbd-server-start', addr={'type': 'unix', 'data': {'path': f'{D}/{self.n}.nbd'}}, **{'max-connections': 16})
            return
        write_keys(f'{D}/{self.n}-tls-srv', keys)
        self.q.cmd('object-add', **{'qom-type': 'tls-creds-psk', 'id': f'tls-srv-{self.n}', 'endpoint': 'server', 'dir': f'{D}/{self.n}-tls-srv'})
        for _ in range(5):
            self.port = free_port()
            try:
                self.q.cmd('nbd-server-start', addr={'type': 'inet', 'data': {'host': '127.0.0.1', 'port': str(self.port)}}, **{'tls-creds': f'tls-srv-{self.n}', 'max-connections': 16}); return
            except RuntimeError as e:
                if 'in use' not in str(e): raise
        raise RuntimeError('no free port')

    def export(self, name, writethrough):
        nodes = [n['node-name'] for n in self.q.cmd('query-named-block-nodes', flat=True)]
        node = f'{self.n}-mirror' if f'{self.n}-mirror' in nodes else self.n
        self.q.cmd('block-export-add', type='nbd', id=f'exp-{self.n}', **{'node-name': node}, name=name, writable=True, writethrough=writethrough)
        self.export_name, self.export_writethrough = name, writethrough

    def remove_export(self):
        self.q.cmd('block-export-del', id=f'exp-{self.n}', mode='hard')
        self.q.wait(['BLOCK_EXPORT_DELETED'], 30, lambda e: e['data']['id'] == f'exp-{self.n}')
        self.export_name = None

    def endpoint(self, export_name):
        return {'address': '127.0.0.1', 'port': self.port, 'identity': KEY_CLIENT[0], 'keyHex': KEY_CLIENT[1], 'exportName': export_name}

    def start_mirror(self, target, export_name, sync, cut_clients=False):
        """mirror-peer.ts attach + mirror-job.ts start; returns (ms to READY, monotonic t of blockdev-mirror)."""
        q = self.q
        if A.net == 'unix':
            q.cmd('blockdev-add', **{'node-name': f'{self.n}-peer', 'driver': 'nbd', 'server': {'type': 'unix', 'path': f'{D}/{target.n}.nbd'}, 'export': export_name})
        else:
            cdir = f'{D}/{self.n}-tls-cli'; write_keys(cdir, [KEY_REPL])
            uri = f'nbds://{KEY_REPL[0]}@127.0.0.1:{target.port}/{export_name}?tls-psk-file={cdir}/keys.psk'
            size = subprocess.run(['nbdinfo', '--size', uri], capture_output=True, text=True, timeout=5).stdout.strip()
            if int(size) != SIZE: raise RuntimeError(f'probe: size {size}')
            q.quiet('object-del', id=f'tls-cli-{self.n}')
            q.cmd('object-add', **{'qom-type': 'tls-creds-psk', 'id': f'tls-cli-{self.n}', 'endpoint': 'client', 'dir': cdir, 'username': KEY_REPL[0]})
            q.cmd('blockdev-add', **{'driver': 'nbd', 'node-name': f'{self.n}-peer', 'server': {'type': 'inet', 'host': '127.0.0.1', 'port': str(target.port)},
                                      'export': export_name, 'tls-creds': f'tls-cli-{self.n}', 'reconnect-delay': 30, 'open-timeout': 5})
        q.quiet('block-dirty-bitmap-remove', node=f'{self.n}-fmt', name='bp-resync')
        q.cmd('block-dirty-bitmap-add', node=f'{self.n}-fmt', name='bp-resync', granularity=GRANULARITY, persistent=False)
        cut = cut_clients and self.export_name is not None
        if cut:
            name, wt = self.export_name, self.export_writethrough
            self.remove_export()           # no client request can reach the filter before the job is attached
        t0 = time.monotonic(); self.mirror_wall = time.time()
        q.cmd('blockdev-mirror', **{'job-id': f'job-{self.n}', 'device': self.n, 'target': f'{self.n}-peer', 'sync': sync, 'copy-mode': 'write-blocking',
                                     'filter-node-name': f'{self.n}-mirror', 'auto-dismiss': False, 'auto-finalize': True, 'on-target-error': 'report', 'on-source-error': 'report'})
        if cut:
            self.export(name, wt)          # on the filter node: every write from here on is copied to the target
        e = q.wait(['BLOCK_JOB_READY', 'BLOCK_JOB_COMPLETED', 'BLOCK_JOB_CANCELLED'])
        if e['event'] != 'BLOCK_JOB_READY': raise RuntimeError(f'mirror ended before READY: {e}')
        return round((time.monotonic() - t0) * 1000), t0

    def job_dirty(self):
        for n in self.q.cmd('query-named-block-nodes', flat=True):
            if n['node-name'] == f'{self.n}-mirror':
                return sum(b['count'] for b in n.get('dirty-bitmaps', []) if 'name' not in b)
        return None

    def stop_job(self):
        self.q.cmd('block-job-cancel', device=f'job-{self.n}')
        self.q.wait(['BLOCK_JOB_COMPLETED', 'BLOCK_JOB_CANCELLED'], 60)

    def quit(self):
        try: self.q.cmd('quit')
        except (RuntimeError, OSError, ValueError): pass
        try: self.proc.wait(10)
        except subprocess.TimeoutExpired: self.proc.kill(); self.proc.wait()

    def kill(self):
        self.proc.kill(); self.proc.wait()


class Writer:
    def __init__(self, copy, export_name, first_block=0):
        self.log = f'{D}/writer.log'; self.stop_file = f'{D}/writer.stop'; self.ep = f'{D}/endpoint.json'
        if A.writer == 'fio':
            if A.net == 'unix':
                self.p = subprocess.Popen(['fio', '--name=w', '--ioengine=nbd', f'--uri=nbd+unix:///{export_name}?socket={D}/{copy.n}.nbd', '--rw=randwrite', '--bs=4k',
                                           '--iodepth=32', '--size=16m', '--time_based', '--runtime=120', '--norandommap', '--randrepeat=0'],
                                          stdout=subprocess.DEVNULL, stderr=open(f'{D}/fio.log', 'a'))
            else:  # fio's nbd engine cannot read a PSK file (libnbd refuses local files in its URI): the same pattern with libnbd
                write_keys(f'{D}/w-tls', [KEY_CLIENT])
                self.p = subprocess.Popen([LIBNBD_PYTHON, '-c', RANDOM_WRITER, f'{D}/w-tls/keys.psk', KEY_CLIENT[0], str(copy.port), export_name],
                                          stdout=subprocess.DEVNULL, stderr=open(f'{D}/fio.log', 'a'))
            return
        self.point(copy, export_name)
        if os.path.exists(self.stop_file): os.unlink(self.stop_file)
        if first_block == 0:
            for f in (self.log, self.log + '.1'):
                if os.path.exists(f): os.unlink(f)
        else:
            os.rename(self.log, self.log + '.1')
        self.p = subprocess.Popen([LIBNBD_PYTHON, ACKED_WRITER, 'write', '--endpoint', self.ep, '--log', self.log, '--stop', self.stop_file,
                                   '--blocks', str(SIZE // BLOCK), '--first-block', str(first_block), '--max-rate', '1000', '--io-timeout-seconds', '5'],
                                  stdout=subprocess.DEVNULL, stderr=open(f'{D}/writer.err', 'a'))

    def point(self, copy, export_name):
        with open(self.ep + '.tmp', 'w') as f: json.dump(copy.endpoint(export_name), f)
        os.replace(self.ep + '.tmp', self.ep)

    def stop(self):
        if A.writer == 'fio': self.p.terminate()
        else: open(self.stop_file, 'w').close()
        try: self.p.wait(20)
        except subprocess.TimeoutExpired: self.p.kill(); self.p.wait()

    def acked(self):
        """{block: (seq, ack time)} of every acknowledged write, over both phases' logs."""
        out = {}
        for path in (self.log + '.1', self.log):
            if not os.path.exists(path): continue
            with open(path) as f:
                for line in f:
                    parts = line.split()
                    if parts and parts[0] == 'k': out[int(parts[2])] = (int(parts[1]), float(parts[3]))
        return out


RANDOM_WRITER = """
import os, random, signal, sys, nbd
import time
def connect():
    h = nbd.NBD(); h.set_tls(nbd.TLS_REQUIRE); h.set_tls_username(sys.argv[2]); h.set_tls_psk_file(sys.argv[1]); h.set_export_name(sys.argv[4])
    h.connect_tcp('127.0.0.1', sys.argv[3])
    return h
buf = nbd.Buffer.from_bytearray(bytearray(os.urandom(4096)))
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
h = None
while not stop:
    try:
        if h is None: h = connect()
        while h.aio_in_flight() < 32:
            h.aio_pwrite(buf, random.randrange(4096) * 4096)
        h.poll(100)
    except nbd.Error:  # the export went (--cut-clients): reconnect, as a client does
        h = None; time.sleep(0.01)
try:
    while h is not None and h.aio_in_flight() > 0:
        h.poll(100)
except nbd.Error:
    pass
"""


def stamp(seq, block):
    head = b'BPA1' + struct.pack('<QQ', seq, block)
    body = bytes(((seq * 31 + block * 7 + i) & 0xFF) for i in range(256))
    return (head + body * (BLOCK // 256))[:BLOCK]


def differing_blocks(a, b):
    out = []
    with open(a, 'rb') as fa, open(b, 'rb') as fb:
        base = 0
        while True:
            x = fa.read(1 << 20); y = fb.read(1 << 20)
            if not x and not y: return out
            if x != y:
                out += [base // BLOCK + i for i in range(0, len(x) // BLOCK) if x[i * BLOCK:(i + 1) * BLOCK] != y[i * BLOCK:(i + 1) * BLOCK]]
            base += len(x)


def explain(trace, off):
    """Prints the trace lines that touch `off` (client write, throttle, raw/file, the job's zero-write or
    read of its chunk) between the job's start markers: shows whether the write passed the filter
    before the job existed and reached the file only after the job had dealt with its chunk."""
    marks = ('qmp_enter_blockdev_mirror', 'qmp_exit_blockdev_mirror', 'undefined-->created', 'mirror_start ', 'created-->running', '-->ready')
    with open(trace) as f:
        for n, line in enumerate(f, 1):
            m = re.search(r'offset (\d+) bytes (\d+)', line)
            if any(k in line for k in marks) or (m and int(m.group(1)) <= off < int(m.group(1)) + int(m.group(2))):
                print(f'    {n}: {line.rstrip()[:150]}', flush=True)


def lost_acked(path, acked):
    lost = []
    with open(path, 'rb') as f:
        for block, (seq, t) in sorted(acked.items()):
            f.seek(block * BLOCK)
            if f.read(BLOCK) != stamp(seq, block): lost.append((block, seq, t))
    return lost


print(f'# sync {SYNC}, {A.size_mib} MiB, net {A.net}, iops {A.iops or "unlimited"}, writer {A.writer}, promoted {A.promoted}, lead {A.lead_s} s', flush=True)
bad_runs = 0; failed_runs = 0; started_at = time.time()
for run in range(RUNS := A.runs):
    copies = []; writer = None
    try:
        first_block = 0
        s = Copy('s'); copies.append(s)
        if A.promoted:
            s.serve([KEY_REPL]); s.export('vol.g1', writethrough=True)
            old = Copy('p'); copies.append(old)
            old.serve([KEY_CLIENT]); old.export('vol', writethrough=False)
            old.start_mirror(s, 'vol.g1', 'none')  # both copies new: replication starts before any write
            writer = Writer(old, 'vol')
            time.sleep(1.0)
            old.kill()                     # the reveal: the primary's host dies
            s.remove_export()              # promote-copy: the mirror export goes first
            write_keys(f'{D}/s-tls-srv', [KEY_CLIENT])
            time.sleep(A.lease_s)          # the old primary's lease
            s.export('vol', writethrough=False)
            if A.writer == 'acked':
                writer.stop(); first_block = max(writer.acked(), default=-1) + 1 + 64
                writer = Writer(s, 'vol', first_block)
            else:
                writer.stop(); writer = Writer(s, 'vol')
        else:
            s.serve([KEY_CLIENT]); s.export('vol', writethrough=False)
            writer = Writer(s, 'vol')
        t = Copy('t'); copies.append(t)
        t.serve([KEY_REPL]); t.export('vol.g2', writethrough=True)
        time.sleep(random.uniform(A.lead_s / 2, A.lead_s * 1.5))
        ready_ms, mirror_t0 = s.start_mirror(t, 'vol.g2', SYNC, cut_clients=A.cut_clients)
        dirty_at_ready = s.job_dirty(); mirror_wall = s.mirror_wall
        time.sleep(0.3)
        writer.stop()
        time.sleep(0.3)
        dirty = s.job_dirty()
        live = differing_blocks(f'{D}/s.raw', f'{D}/t.raw')
        lost = []
        acked = {}
        if A.writer == 'acked':
            acked = writer.acked(); lost = lost_acked(f'{D}/t.raw', acked)
            lost_src = lost_acked(f'{D}/s.raw', acked)
            if lost_src: print(f'  (source misses {len(lost_src)} acknowledged writes: the writer log and the source disagree)', flush=True)
        s.stop_job()
        after = differing_blocks(f'{D}/s.raw', f'{D}/t.raw')
        note = f'ready {ready_ms} ms, job dirty {dirty_at_ready}->{dirty} B'
        if A.writer == 'acked':
            times = sorted(t for _, t in acked.values() if t >= mirror_wall - 0.3)
            rate = round((len(times) - 1) / (times[-1] - times[0])) if len(times) > 2 else 0
            note += f', {len(acked)} acked, {rate}/s around the start'
        if live or lost:
            bad_runs += 1
            extra = ''
            if lost:
                b, seq, at = lost[0]
                extra = f'; {len(lost)} acked writes missing on the target, first block {b} seq {seq}'
            print(f'run {run + 1}: DIFFER {len(live)} blocks while running (first {live[:4]}), {len(after)} after cancel{extra}; {note}', flush=True)
            with open(f'{D}/s.raw', 'rb') as fs, open(f'{D}/t.raw', 'rb') as ft:
                for b in live[:4]:
                    fs.seek(b * BLOCK); ft.seek(b * BLOCK); x = fs.read(BLOCK); y = ft.read(BLOCK)
                    print(f'  block {b} (offset {b * BLOCK}, chunk {b * BLOCK // GRANULARITY}): source {x[:8].hex()}{" (zero)" if x == bytes(BLOCK) else ""}, target {y[:8].hex()}{" (zero)" if y == bytes(BLOCK) else ""}', flush=True)
            if A.trace and os.path.exists(f'{D}/s.trace'):
                os.replace(f'{D}/s.trace', f'{D}/s-run{run + 1}.trace')
                print(f'  trace kept: {D}/s-run{run + 1}.trace; its lines about block {live[0]}:', flush=True)
                explain(f'{D}/s-run{run + 1}.trace', live[0] * BLOCK)
        else:
            print(f'run {run + 1}: identical ({len(after)} after cancel); {note}', flush=True)
    except (RuntimeError, OSError, ValueError, TimeoutError, subprocess.SubprocessError) as error:
        failed_runs += 1
        print(f'run {run + 1}: FAILED ({type(error).__name__}: {error}); not counted', flush=True)
    finally:
        if writer and writer.p.poll() is None: writer.p.kill(); writer.p.wait()
        for c in copies: c.quit()  # the source first: a peer whose target is gone waits out its reconnect-delay on close
print(f'sync {SYNC}, {A.size_mib} MiB, net {A.net}, iops {A.iops or "unlimited"}, writer {A.writer}, promoted {A.promoted}, cut clients {A.cut_clients}: '
      f'{bad_runs} of {RUNS - failed_runs} runs differ' + (f' ({failed_runs} failed to run)' if failed_runs else '') + f' ({round(time.time() - started_at)} s)', flush=True)
for name in ('s', 't', 'p'):
    for ext in ('raw', 'qmp', 'nbd', 'trace'):
        try: os.unlink(f'{D}/{name}.{ext}')
        except FileNotFoundError: pass
    for sub in ('tls-srv', 'tls-cli'): shutil.rmtree(f'{D}/{name}-{sub}', ignore_errors=True)
shutil.rmtree(f'{D}/w-tls', ignore_errors=True)
for f in ('endpoint.json', 'writer.stop', 'trace-events'):
    try: os.unlink(f'{D}/{f}')
    except FileNotFoundError: pass
