/**
 * Storage hosts on one machine for agent tests with more than two hosts: one network namespace
 * per host, all joined by a bridge in a namespace of their own (a switch), each host with its
 * own address and quickack on its routes (QEMU 7.2's NBD server stalls on delayed ACKs, like
 * netns-pair.ts). `destroy()` deletes exactly these namespaces (the veths go with them).
 */
import { randomBytes } from 'node:crypto';
import { applyQuickAck } from '../../../agent/net/quickack';
import { runCommand } from '../../../agent/util/run-command';
import { NetnsHost } from './netns-pair';

const SUBNET = '10.213.8';

export class NetnsFleet {
  private constructor(
    readonly hosts: readonly NetnsHost[],
    private readonly switchNetns: string,
  ) {}

  static async create(count: number): Promise<NetnsFleet> {
    const tag = randomBytes(3).toString('hex');
    const switchNetns = `bp-t${tag}-sw`;
    const hosts = Array.from({ length: count }, (_, index) => ({ netns: `bp-t${tag}-${index}`, address: `${SUBNET}.${index + 1}` }));
    const created: string[] = [];
    try {
      await runCommand('ip', ['netns', 'add', switchNetns]);
      created.push(switchNetns);
      await runCommand('ip', ['-n', switchNetns, 'link', 'add', 'br0', 'type', 'bridge']);
      await runCommand('ip', ['-n', switchNetns, 'link', 'set', 'br0', 'up']);
      for (const [index, host] of hosts.entries()) {
        await runCommand('ip', ['netns', 'add', host.netns]);
        created.push(host.netns);
        await runCommand('ip', ['-n', host.netns, 'link', 'set', 'lo', 'up']);
        await runCommand('ip', ['-n', host.netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${index}`, 'netns', switchNetns]);
        await runCommand('ip', ['-n', switchNetns, 'link', 'set', `p${index}`, 'master', 'br0']);
        await runCommand('ip', ['-n', switchNetns, 'link', 'set', `p${index}`, 'up']);
        await runCommand('ip', ['-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
        await runCommand('ip', ['-n', host.netns, 'link', 'set', 'eth0', 'up']);
        await applyQuickAck({ destination: `${SUBNET}.0/24`, netns: host.netns });
        await applyQuickAck({ destination: host.address, table: 'local', netns: host.netns });
      }
    } catch (error) {
      for (const netns of created) await runCommand('ip', ['netns', 'del', netns]).catch(() => undefined);
      throw error;
    }
    return new NetnsFleet(hosts, switchNetns);
  }

  async destroy(): Promise<void> {
    for (const host of this.hosts) await runCommand('ip', ['netns', 'del', host.netns]);
    await runCommand('ip', ['netns', 'del', this.switchNetns]);
  }
}
