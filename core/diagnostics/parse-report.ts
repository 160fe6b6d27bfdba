import type { FactValue, Facts, LogName } from './facts';
import { parseAgentState } from './parsers/agent-state';
import { parseDf } from './parsers/df';
import { parseFree } from './parsers/free';
import { parseFstab } from './parsers/fstab';
import { parseLsblk } from './parsers/lsblk';
import { parseLsmod } from './parsers/lsmod';
import { parseMeminfo } from './parsers/meminfo';
import { parseMounts } from './parsers/mounts';
import { parseNvmeList } from './parsers/nvme-list';
import { parseOsRelease } from './parsers/os-release';
import { parsePs } from './parsers/ps';
import { parseQsdVersion } from './parsers/qsd-version';
import { parseSar } from './parsers/sar';
import { parseSysctl } from './parsers/sysctl';
import { parseTimeSync } from './parsers/time-sync';
import { parseUname } from './parsers/uname';
import { parseUptime } from './parsers/uptime';
import type { UnpackedReport } from './report-format';

/** Which files make up each log, in the order they are joined. */
const LOG_FILES: Record<LogName, readonly string[]> = {
  kernel: ['dmesg.txt', 'logs/kern.log'],
  system: ['journal.txt', 'logs/syslog', 'logs/messages'],
};

/**
 * Parses every source the report has into facts (the parsers), then derives the facts that need
 * two sources (the combiners: fstab against lsblk, the fleet's agent version). Extra facts the
 * caller knows (`fleet.agentVersion`) are passed in.
 */
export function parseReport(report: UnpackedReport, known: Readonly<Record<string, FactValue>> = {}): Facts {
  const values = new Map<string, FactValue>(Object.entries(known));
  const put = (prefix: string, object: object) => {
    for (const [key, value] of Object.entries(object)) {
      if (value === undefined) continue;
      if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') values.set(`${prefix}.${key}`, value);
      else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) values.set(`${prefix}.${key}`, value as string[]);
    }
  };
  const file = (name: string) => report.files.get(name);

  const uname = file('uname.txt');
  if (uname !== undefined) put('uname', parseUname(uname));
  const osRelease = file('os-release');
  if (osRelease !== undefined) put('os', parseOsRelease(osRelease));
  const uptime = file('uptime.txt');
  if (uptime !== undefined) put('uptime', parseUptime(uptime));
  const df = file('df.txt');
  if (df !== undefined) put('df', parseDf(df));
  const inodes = file('df-inodes.txt');
  if (inodes !== undefined) put('inodes', parseDf(inodes));
  const free = file('free.txt');
  if (free !== undefined) put('free', parseFree(free));
  const sar = file('sar.txt');
  if (sar !== undefined) put('sar', parseSar(sar));
  const meminfo = file('meminfo.txt');
  if (meminfo !== undefined) put('meminfo', parseMeminfo(meminfo));
  const mounts = file('mounts.txt');
  if (mounts !== undefined) put('mounts', parseMounts(mounts));
  const ps = file('ps.txt');
  if (ps !== undefined) put('ps', parsePs(ps));
  const lsmod = file('lsmod.txt');
  if (lsmod !== undefined) values.set('lsmod.modules', parseLsmod(lsmod));
  const sysctl = file('sysctl.txt');
  if (sysctl !== undefined) for (const [key, value] of parseSysctl(sysctl)) values.set(`sysctl.${key}`, numberOrText(value));
  const nvme = file('nvme-list.json');
  if (nvme !== undefined) put('nvme', parseNvmeList(nvme));
  const timeSync = file('timedatectl.txt') ?? file('chrony.txt');
  if (timeSync !== undefined) put('time', parseTimeSync(timeSync));
  const qsd = file('qsd-version.txt');
  if (qsd !== undefined) put('qsd', parseQsdVersion(qsd));
  const agent = file('agent-state.json');
  if (agent !== undefined) put('agent', parseAgentState(agent));

  const lsblkText = file('lsblk.json');
  const lsblk = lsblkText === undefined ? undefined : parseLsblk(lsblkText);
  if (lsblk) put('lsblk', lsblk);
  const fstabText = file('fstab');
  if (fstabText !== undefined) {
    const fstab = parseFstab(fstabText);
    values.set('fstab.entryCount', fstab.entries.length);
    values.set('fstab.malformedLines', fstab.malformedLines);
    if (lsblk && !lsblk.unreadable) values.set('fstab.missingDevices', missingFstabDevices(fstab.entries, lsblk));
  }

  const logs = new Map<LogName, string>();
  for (const [log, names] of Object.entries(LOG_FILES) as [LogName, readonly string[]][]) {
    const texts = names.map(file).filter((text): text is string => text !== undefined);
    if (texts.length > 0) logs.set(log, texts.join('\n'));
  }
  return { values, logs, collectedAt: new Date(report.manifest.collectedAt), source: report.manifest.source };
}

function numberOrText(value: string): FactValue {
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

/**
 * fstab entries that would not mount at boot because their device is not there: `UUID=`,
 * `LABEL=`-less specs and `/dev/…` paths lsblk does not know, unless the entry is `nofail`/`noauto`.
 * Network, pseudo and swap-file entries are not checked.
 */
function missingFstabDevices(entries: ReturnType<typeof parseFstab>['entries'], lsblk: ReturnType<typeof parseLsblk>): string[] {
  const uuids = new Set(lsblk.uuids.map((uuid) => uuid.toLowerCase()));
  const names = new Set(lsblk.devices.map((device) => `/dev/${device.name}`));
  const missing: string[] = [];
  for (const entry of entries) {
    if (entry.options.includes('nofail') || entry.options.includes('noauto')) continue;
    const uuid = /^UUID=(.+)$/i.exec(entry.spec)?.[1];
    if (uuid !== undefined && !uuids.has(uuid.replace(/"/g, '').toLowerCase())) missing.push(`${entry.spec} ${entry.mountpoint}`);
    else if (/^\/dev\/(sd|vd|xvd|nvme|hd)/.test(entry.spec) && !names.has(entry.spec)) missing.push(`${entry.spec} ${entry.mountpoint}`);
  }
  return missing;
}
