/**
 * Two network namespaces joined by a veth pair, each end with its own address, quickack on
 * both routes (QEMU 7.2's NBD server stalls on delayed ACKs): two storage hosts on one
 * machine. `destroy()` deletes exactly these two namespaces (the veth pair goes with them).
 */
import { randomBytes } from 'node:crypto';
import { applyQuickAck } from '../../../agent/net/quickack';
import { runCommand } from '../../../agent/util/run-command';

export interface NetnsHost {
  netns: string;
  address: string;
}

export class NetnsPair {
  private constructor(
    readonly a: NetnsHost,
    readonly b: NetnsHost,
  ) {}

  static async create(): Promise<NetnsPair> {
    const tag = randomBytes(3).toString('hex');
    const a = { netns: `bp-t${tag}-a`, address: '10.213.7.1' };
    const b = { netns: `bp-t${tag}-b`, address: '10.213.7.2' };
    const created: string[] = [];
    try {
      for (const host of [a, b]) {
        await runCommand('ip', ['netns', 'add', host.netns]);
        created.push(host.netns);
        await runCommand('ip', ['-n', host.netns, 'link', 'set', 'lo', 'up']);
      }
      await runCommand('ip', ['-n', a.netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', b.netns]);
      for (const host of [a, b]) {
        await runCommand('ip', ['-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
        await runCommand('ip', ['-n', host.netns, 'link', 'set', 'eth0', 'up']);
        await applyQuickAck({ destination: '10.213.7.0/24', netns: host.netns });
        // The local route too: a host's own clients reach its daemons over it.
        await applyQuickAck({ destination: host.address, table: 'local', netns: host.netns });
      }
    } catch (error) {
      for (const netns of created) await runCommand('ip', ['netns', 'del', netns]).catch(() => undefined);
      throw error;
    }
    return new NetnsPair(a, b);
  }

  async destroy(): Promise<void> {
    for (const host of [this.a, this.b]) await runCommand('ip', ['netns', 'del', host.netns]);
  }
}
