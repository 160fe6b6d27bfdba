import { randomBytes } from 'node:crypto';

/**
 * A TLS-PSK key for one volume's NBD traffic. Each volume has two: the client key (the only
 * one a customer gets) and the replication key (only between its primary and mirror).
 */
export interface PskKey {
  readonly identity: string;
  readonly keyHex: string;
}

export function newPskKey(identity: string): PskKey {
  return { identity, keyHex: randomBytes(32).toString('hex') };
}

/** Identities name the volume and the purpose, so a host's PSK files say what they admit. */
export function newVolumeKeys(volumeId: string): { client: PskKey; replication: PskKey } {
  const suffix = volumeId.slice(4);
  return { client: newPskKey(`client-${suffix}`), replication: newPskKey(`repl-${suffix}`) };
}
