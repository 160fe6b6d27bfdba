/**
 * What only a storage host adds to its report: the agent's own state (`agent-state.json`: its
 * version, copies with their replica states, daemons and disks) and the storage daemon's
 * version (`qsd-version.txt`).
 */
import { runCapped } from './capped-command';
import type { Collector } from './collector';

export function agentStateCollector(snapshot: () => object): Collector {
  return {
    name: 'agent-state',
    async collect() {
      return [{ name: 'agent-state.json', content: Buffer.from(JSON.stringify(snapshot(), null, 2) + '\n', 'utf8') }];
    },
  };
}

export function qsdVersionCollector(binary: string): Collector {
  return {
    name: 'qsd-version',
    async collect(context) {
      const output = await runCapped(binary, ['--version'], { maxBytes: context.maxBytes, keep: 'head', signal: context.signal });
      return [{ name: 'qsd-version.txt', content: output.stdout, truncated: output.truncated }];
    },
  };
}
