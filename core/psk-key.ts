import { randomBytes } from 'node:crypto';

/**
 * A TLS-PSK key for NBD traffic. Every attachment of a volume has its own client key (only
 * the attaching customer and the volume's primary get it), and every mirror its own
 * replication key (only the primary and that mirror get it). Keys live in the volume record
 * sealed by KMS (`SealedKey`); a plaintext key exists only in the memory of the function that
 * mints or delivers it.
 */
export interface PskKey {
  readonly identity: string;
  readonly keyHex: string;
}

export function newPskKey(identity: string): PskKey {
  return { identity, keyHex: randomBytes(32).toString('hex') };
}

/** Identities name the volume, the attachment and the generation, so a host's PSK file says what it admits. */
export function newClientKey(volumeId: string, attachmentId: string, generation: number): PskKey {
  return newPskKey(`client-${volumeId.slice(4)}-${attachmentId.slice(4)}-g${generation}`);
}

/** One replication key per mirror copy: a new mirror (after a fail-over, at any generation) never reuses one. */
export function newReplicationKey(volumeId: string, mirrorCopyId: string): PskKey {
  return newPskKey(`repl-${volumeId.slice(4)}-${mirrorCopyId.slice(4)}`);
}
