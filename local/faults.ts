import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCommand } from '../agent/util/run-command';
import type { LocalHost } from './local-fleet';

/**
 * Faults injected into the local fleet, each undone by `heal()` (call it in `finally`/afterAll):
 *
 * - a storage link between two hosts reset (`ss -K` kills the connections inside both
 *   namespaces, nft rules answer every later TCP packet between the two addresses with a reset)
 *   or black-holed (nft drops every packet between them, no resets);
 * - a process frozen with SIGSTOP (a host's agent while its daemons serve; the local cloud's
 *   emulator) until SIGCONT;
 * - a copy's qemu-storage-daemon SIGKILLed (found by its pidfile under the agent's data dir).
 *
 * Rules live in one nft table per namespace (`inet blockplane_faults`), so healing deletes the
 * table and touches nothing else. The emulator is frozen rather than fenced off with a firewall
 * rule: the agents share the root namespace with the tests, so a rule on its port could not
 * tell them apart, and a root-namespace rule is machine-wide state shared with other fleets.
 */
const TABLE = 'blockplane_faults';
const COMMAND_TIMEOUT_MS = 10_000;

export type LinkFault = 'reset' | 'blackhole';

const inNamespace = (netns: string, command: string, args: string[], input?: string) =>
  runCommand('ip', ['netns', 'exec', netns, command, ...args], { timeoutMs: COMMAND_TIMEOUT_MS, input });

function linkRules(peer: string, fault: LinkFault): string {
  const verdict = fault === 'reset' ? 'meta l4proto tcp reject with tcp reset' : 'drop';
  return [
    `table inet ${TABLE} {`,
    `  chain output { type filter hook output priority 0; policy accept; ip daddr ${peer} ${verdict}; }`,
    `  chain input { type filter hook input priority 0; policy accept; ip saddr ${peer} ${verdict}; }`,
    '}',
  ].join('\n');
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone: nothing to freeze or thaw.
  }
}

/** The PID of the qemu-storage-daemon serving `copyId` on `host` (its pidfile in `<data-dir>/run/<copyId>/`). */
export function copyDaemonPid(host: LocalHost, copyId: string): number | undefined {
  const runDir = join(host.dataDir, 'run', copyId);
  if (!existsSync(runDir)) return undefined;
  for (const entry of readdirSync(runDir).filter((name) => name.endsWith('.pid'))) {
    const pid = Number(readFileSync(join(runDir, entry), 'utf8').trim());
    try {
      if (Number.isInteger(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('qemu-storage-daemon')) return pid;
    } catch {
      // The daemon is gone; its pidfile is stale.
    }
  }
  return undefined;
}

/** The local cloud's emulator PID (local/.state/ministack.pid). */
export function emulatorPid(): number {
  const pid = Number(readFileSync(resolve('local/.state/ministack.pid'), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error('local/.state/ministack.pid holds no PID; is the local cloud running?');
  return pid;
}

export class FaultInjector {
  private readonly cutNamespaces = new Set<string>();
  private readonly frozen = new Set<number>();

  /** Breaks the storage link between two hosts (both directions, applied inside both namespaces). */
  async cutLink(a: LocalHost, b: LocalHost, fault: LinkFault): Promise<void> {
    for (const [self, peer] of [[a, b], [b, a]] as const) {
      this.cutNamespaces.add(self.network.netns);
      // A table left from an earlier cut of this namespace is replaced, not merged.
      await inNamespace(self.network.netns, 'nft', ['delete', 'table', 'inet', TABLE]).catch(() => undefined);
      await inNamespace(self.network.netns, 'nft', ['-f', '-'], linkRules(peer.network.address, fault));
    }
    if (fault === 'reset') {
      for (const [self, peer] of [[a, b], [b, a]] as const) {
        await inNamespace(self.network.netns, 'ss', ['-K', 'dst', peer.network.address]);
      }
    }
  }

  /** Removes every link rule this injector added. */
  async healLinks(): Promise<void> {
    for (const netns of this.cutNamespaces) await inNamespace(netns, 'nft', ['delete', 'table', 'inet', TABLE]).catch(() => undefined);
    this.cutNamespaces.clear();
  }

  /** SIGSTOPs a process (an agent, the emulator) until `thaw` or `heal`. */
  freeze(pid: number): void {
    this.frozen.add(pid);
    signal(pid, 'SIGSTOP');
  }

  thaw(pid: number): void {
    signal(pid, 'SIGCONT');
    this.frozen.delete(pid);
  }

  /** SIGKILLs the daemon of one copy; returns its PID. */
  killCopyDaemon(host: LocalHost, copyId: string): number {
    const pid = copyDaemonPid(host, copyId);
    if (pid === undefined) throw new Error(`no qemu-storage-daemon runs copy ${copyId} on ${host.hostId}`);
    signal(pid, 'SIGKILL');
    return pid;
  }

  /** Undoes every fault still in place: thaws frozen processes, removes link rules. */
  async heal(): Promise<void> {
    for (const pid of [...this.frozen]) this.thaw(pid);
    await this.healLinks();
  }
}
