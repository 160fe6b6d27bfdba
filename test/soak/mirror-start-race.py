"""Does a write-blocking mirror started under a writer leave a write off its target?

Usage: python3 test/soak/mirror-start-race.py DIR RUNS SIZE_MIB [full|none]

Two qemu-storage-daemons, as the agent builds a copy: S serves a raw file through a throttle
filter over NBD (unix socket); T serves a raw file over NBD. fio writes 4 KiB blocks at queue
depth 32 over the first 16 MiB of S (where the fault harness's writer writes) while S starts
`blockdev-mirror` (`copy-mode: write-blocking`, the given sync) to T, so writes are in flight while
the job initialises (target zeroing, dirty bitmap set-up) and its first passes copy those blocks.
After READY the writer stops, the job is cancelled (in READY the pending I/O completes first) and
the two files are compared: every write fio completed is on S, so a difference is a write the
mirror left off T. `none` is the control: it copies nothing written before the job, so every run
must differ (the comparison catches a missing write). See docs/replication-safety.md.
"""
import json, os, socket, subprocess, sys, time

D = sys.argv[1]; RUNS = int(sys.argv[2]); SIZE = int(sys.argv[3]) << 20
SYNC = sys.argv[4] if len(sys.argv) > 4 else 'full'
os.makedirs(D, exist_ok=True)

class Qmp:
    def __init__(self, path):
        for _ in range(200):
            try:
                self.s = socket.socket(socket.AF_UNIX); self.s.connect(path); break
            except OSError: time.sleep(0.02)
        self.f = self.s.makefile('rw'); self.events = []
        json.loads(self.f.readline()); self.cmd('qmp_capabilities')
    def cmd(self, name, **args):
        self.f.write(json.dumps({'execute': name, 'arguments': args}) + '\n'); self.f.flush()
        while True:
            m = json.loads(self.f.readline())
            if 'event' in m: self.events.append(m); continue
            if 'error' in m: raise RuntimeError(f'{name}: {m["error"]}')
            return m['return']
    def wait(self, names, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            for e in self.events:
                if e['event'] in names: self.events.remove(e); return e
            self.s.settimeout(max(0.01, end - time.time()))
            try:
                m = json.loads(self.f.readline())
            except socket.timeout: break
            finally: self.s.settimeout(None)
            if 'event' in m: self.events.append(m)
        raise TimeoutError(names)

def daemon(name, args):
    return subprocess.Popen(['qemu-storage-daemon', '--chardev', f'socket,id=m,path={D}/{name}.qmp,server=on,wait=off', '--monitor', 'chardev=m'] + args,
                            stdout=open(f'{D}/{name}.log', 'a'), stderr=subprocess.STDOUT)

lost_runs = 0
for run in range(RUNS):
    for n in ('s', 't'):
        with open(f'{D}/{n}.raw', 'wb') as f: f.truncate(SIZE)
        for ext in ('qmp', 'nbd'):
            try: os.unlink(f'{D}/{n}.{ext}')
            except FileNotFoundError: pass
    t = daemon('t', ['--blockdev', f'file,node-name=tf,filename={D}/t.raw,cache.direct=on,aio=native', '--blockdev', 'raw,node-name=tr,file=tf',
                     '--nbd-server', f'addr.type=unix,addr.path={D}/t.nbd', '--export', 'nbd,id=te,node-name=tr,name=t,writable=on'])
    s = daemon('s', ['--object', 'throttle-group,id=g', '--blockdev', f'file,node-name=sf,filename={D}/s.raw,cache.direct=on,aio=native', '--blockdev', 'raw,node-name=sr,file=sf',
                     '--blockdev', 'throttle,node-name=root,throttle-group=g,file=sr',
                     '--nbd-server', f'addr.type=unix,addr.path={D}/s.nbd', '--export', 'nbd,id=se,node-name=root,name=s,writable=on'])
    qs = Qmp(f'{D}/s.qmp'); Qmp(f'{D}/t.qmp')
    qs.cmd('blockdev-add', **{'node-name': 'peer', 'driver': 'nbd', 'server': {'type': 'unix', 'path': f'{D}/t.nbd'}, 'export': 't'})
    fio = subprocess.Popen(['fio', '--name=w', '--ioengine=nbd', f'--uri=nbd+unix:///s?socket={D}/s.nbd', '--rw=randwrite', '--bs=4k', '--iodepth=32',
                            '--size=16m', '--time_based', '--runtime=30', '--norandommap', '--randrepeat=0'], stdout=subprocess.DEVNULL, stderr=open(f'{D}/fio.log', 'a'))
    time.sleep(0.7)
    qs.cmd('blockdev-mirror', **{'job-id': 'j', 'device': 'root', 'target': 'peer', 'sync': SYNC, 'copy-mode': 'write-blocking', 'filter-node-name': 'mf', 'auto-dismiss': False})
    qs.wait(['BLOCK_JOB_READY'])
    time.sleep(0.3)
    fio.terminate(); fio.wait()
    time.sleep(0.3)
    qs.cmd('block-job-cancel', device='j'); qs.wait(['BLOCK_JOB_COMPLETED', 'BLOCK_JOB_CANCELLED'])
    qs.cmd('quit'); s.wait(); t.terminate(); t.wait()
    same = subprocess.run(['cmp', '-s', f'{D}/s.raw', f'{D}/t.raw']).returncode == 0
    if not same:
        lost_runs += 1
        diff = subprocess.run(f'cmp -l {D}/s.raw {D}/t.raw | wc -l', shell=True, capture_output=True, text=True).stdout.strip()
        print(f'run {run + 1}: DIFFER ({diff} bytes)', flush=True)
    else:
        print(f'run {run + 1}: identical', flush=True)
print(f'sync {SYNC}, {SIZE >> 20} MiB: {lost_runs} of {RUNS} runs differ')
