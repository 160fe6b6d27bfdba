import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runCommand } from '../../../agent/util/run-command';

/** acked_writer.py: serial writes to fresh blocks, every acknowledgement logged with its time. */
export const WRITER = path.resolve('test/agent/helpers/acked_writer.py');

export interface Ack {
  n: number;
  at: number;
}

/** Acknowledged writes in the writer's log. */
export function acksIn(log: string): Ack[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('k '))
    .map((line) => {
      const [, n, at] = line.split(' ');
      return { n: Number(n), at: Number(at) };
    });
}

/** Every write the log acknowledged (before `ackedBefore`, epoch ms, when given) checked in a copy's file. */
export async function verifyFile(file: string, log: string, ackedBefore?: number): Promise<{ acked: number; lost: number; firstLost: number[] }> {
  const args = [WRITER, 'verify', '--file', file, '--log', log, ...(ackedBefore !== undefined ? ['--acked-before', String(ackedBefore)] : [])];
  return JSON.parse((await runCommand('/usr/bin/python3', args, { timeoutMs: 120_000 })).stdout) as { acked: number; lost: number; firstLost: number[] };
}
