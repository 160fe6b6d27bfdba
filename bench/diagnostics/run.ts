import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { diagnose } from '../../core/diagnostics/diagnose';
import { RuleEvaluator } from '../../core/diagnostics/evaluate-rules';
import { RuleSchema, type Check, type Rule } from '../../core/diagnostics/rule';
import { unpackReport } from '../../core/diagnostics/unpack-report';
import { repositoryRules } from '../../lib/diagnostics-stack';

/**
 * The diagnose-report Lambda's code path run locally (docs/diagnostics.md, "Benchmark"): a
 * ~50 MB report, mostly logs, built with tar, is unpacked, parsed and evaluated against 1,000
 * rules (the repository's and generated ones). The floor, in the same run, is
 * `zcat report.tar.gz | grep -c -E -f patterns` over the same bytes with the same log patterns
 * (one pass, all patterns at once: grep's DFA). Prints the medians and the ratio.
 *
 *   npx tsx bench/diagnostics/run.ts [--rules 1000] [--megabytes 50] [--runs 3]
 */
const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
};
const RULES = argument('rules', 1000);
const MEGABYTES = argument('megabytes', 50);
const RUNS = argument('runs', 3);
const MAX_FILE_BYTES = 15 * 1024 * 1024;

const MESSAGES = [
  'EXT4-fs (vda1): re-mounted. Opts: errors=remount-ro',
  'systemd[1]: Started Session 4711 of User admin.',
  'audit: type=1400 audit(1733050000.123:456): apparmor="STATUS" operation="profile_load"',
  'IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready',
  'nbd0: detected capacity change from 0 to 2097152',
  'cron[2211]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)',
  'kernel: TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.',
  'sshd[9001]: Accepted publickey for admin from 10.0.0.5 port 51122 ssh2',
  'nvme nvme0: 2/0/0 default/read/poll queues',
  'Out of memory: Killed process 4242 (java) total-vm:9000000kB, anon-rss:7000000kB',
];

function logText(bytes: number, seed: number): string {
  const lines: string[] = [];
  let size = 0;
  const start = Date.now() - 20 * 3_600_000;
  for (let i = 0; size < bytes; i += 1) {
    const at = new Date(start + i * 40);
    const stamp = at.toUTCString().replace(/^(\w{3}), (\d{2}) (\w{3}) (\d{4}) ([\d:]{8}) GMT$/, (_m, day, date, month, year, time) => `${day} ${month} ${String(Number(date)).padStart(2, ' ')} ${time} ${year}`);
    const message = (i * 7919 + seed) % 5000 === 0 ? MESSAGES[9] : MESSAGES[(i * 31 + seed) % 9];
    const line = `[${stamp}] ${message} seq=${i}`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

/** Rules beyond the repository's: 80 % log patterns over the kernel or system log, the rest fact checks. */
function generatedRules(count: number): Rule[] {
  return Array.from({ length: count }, (_, i) => {
    const when: Check =
      i % 5 === 4
        ? { fact: 'df.maxUsedPercent', range: { min: 50 + (i % 50) } }
        : { log: i % 2 === 0 ? 'kernel' : 'system', regex: `svc${i}\\[[0-9]+\\]: (fatal|error) on queue ${i % 97}`, withinMinutes: 1440, minCount: 1 + (i % 3) };
    return RuleSchema.parse({
      id: `bench-rule-${i}`,
      title: `generated rule ${i}`,
      severity: 'low',
      cause: 'a generated rule for the benchmark',
      when,
      solutions: [{ title: 'none', steps: ['none'] }],
    });
  });
}

function logPatterns(check: Check): string[] {
  if ('all' in check) return check.all.flatMap(logPatterns);
  if ('any' in check) return check.any.flatMap(logPatterns);
  if ('not' in check) return logPatterns(check.not);
  return 'log' in check ? [check.regex] : [];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-diagnostics-'));
  try {
    const files: Record<string, string> = {
      'dmesg.txt': logText(Math.min(MAX_FILE_BYTES, MEGABYTES * 0.3e6), 1),
      'logs/kern.log': logText(Math.min(MAX_FILE_BYTES, MEGABYTES * 0.3e6), 2),
      'journal.txt': logText(Math.min(MAX_FILE_BYTES, MEGABYTES * 0.3e6), 3),
      'logs/syslog': logText(Math.min(MAX_FILE_BYTES, MEGABYTES * 0.1e6), 4),
      'df.txt': 'Filesystem     1024-blocks      Used Available Capacity Mounted on\n/dev/vda1         20509264  15000000   5509264      74% /\n',
      'meminfo.txt': 'MemTotal:        8000000 kB\nMemAvailable:    3000000 kB\nSwapTotal:       0 kB\nSwapFree:        0 kB\n',
    };
    const root = path.join(dir, 'report');
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, 'files', name)), { recursive: true });
      fs.writeFileSync(path.join(root, 'files', name), text);
    }
    const manifest = {
      formatVersion: 1, source: 'instance', hostname: 'bench', collectedAt: new Date().toISOString(),
      collectors: Object.keys(files).map((name) => ({ name: path.basename(name), status: 'ok', files: [`files/${name}`] })),
    };
    fs.writeFileSync(path.join(root, 'manifest.json'), JSON.stringify(manifest));
    const tarball = path.join(dir, 'report.tar.gz');
    execFileSync('tar', ['-czf', tarball, 'report'], { cwd: dir });
    const upload = fs.readFileSync(tarball);
    const unpackedBytes = Object.values(files).reduce((sum, text) => sum + text.length, 0);

    const repository = repositoryRules();
    const rules = [...repository, ...generatedRules(Math.max(0, RULES - repository.length))];
    const patterns = rules.flatMap((rule) => logPatterns(rule.when)).map((regex) => regex.replace(/\\d/g, '[0-9]'));
    fs.writeFileSync(path.join(dir, 'patterns'), `${patterns.join('\n')}\n`);

    const ours: number[] = [];
    let matches = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      const result = diagnose(unpackReport(upload), new RuleEvaluator(rules), { 'fleet.agentVersion': '0.1.0' });
      ours.push(performance.now() - started);
      matches = result.matches.length;
    }
    const floor: number[] = [];
    let grepCount = '';
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      const grep = spawnSync('bash', ['-c', `zcat ${tarball} | grep -c -E -f ${path.join(dir, 'patterns')}`], { encoding: 'utf8' });
      floor.push(performance.now() - started);
      grepCount = grep.stdout.trim();
    }
    const oursMs = median(ours);
    const floorMs = median(floor);
    process.stdout.write(
      `report: ${(upload.length / 1e6).toFixed(1)} MB compressed, ${(unpackedBytes / 1e6).toFixed(1)} MB unpacked; ${rules.length} rules ` +
        `(${patterns.length} log patterns); ${RUNS} runs, medians\n` +
        `unpack + parse + evaluate (Lambda code path): ${(oursMs / 1000).toFixed(2)} s, ${matches} matches\n` +
        `floor, zcat | grep -c -E -f patterns:          ${(floorMs / 1000).toFixed(2)} s, ${grepCount} matching lines\n` +
        `ratio: ${(oursMs / floorMs).toFixed(2)}x the floor\n`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
