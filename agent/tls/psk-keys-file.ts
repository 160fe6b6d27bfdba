/**
 * TLS-PSK keys files for QEMU's `tls-creds-psk` objects.
 *
 * QEMU reads `<dir>/keys.psk`, one `<identity>:<hex key>` per line. For an NBD server the file
 * is the server's whole access list (qemu-7.2 §6): every identity in it reaches every export of
 * that daemon, which is why each copy has its own daemon and its own file. For a client
 * (`endpoint=client`) the file holds the one key the client presents, under `username`.
 * Files are mode 0600 in a 0700 directory and are replaced atomically, so a rewrite (key
 * rotation) never exposes a half-written list.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InvalidPskKeyError } from '../errors';
import { writeFileAtomic } from '../util/atomic-write';

export interface PskKey {
  /** The PSK identity (the NBD client's user name): 1-64 characters `[A-Za-z0-9_.-]`. */
  identity: string;
  /** The key: 64 hexadecimal digits (32 bytes). */
  keyHex: string;
}

export const PSK_KEYS_FILE_NAME = 'keys.psk';
const IDENTITY_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const KEY_PATTERN = /^[0-9a-fA-F]{64}$/;

/** A fresh random key for `identity`. */
export function generatePskKey(identity: string): PskKey {
  const key = { identity, keyHex: randomBytes(32).toString('hex') };
  assertValidPskKey(key);
  return key;
}

export function assertValidPskKey(key: PskKey): void {
  if (!IDENTITY_PATTERN.test(key.identity)) {
    throw new InvalidPskKeyError('identity', `received ${JSON.stringify(key.identity)}, allowed 1-64 characters [A-Za-z0-9_.-]`);
  }
  if (!KEY_PATTERN.test(key.keyHex)) {
    throw new InvalidPskKeyError('keyHex', `received ${key.keyHex.length} characters, allowed exactly 64 hexadecimal digits`);
  }
}

/** Writes `<dir>/keys.psk` (0600, dir 0700) atomically; returns the file path. */
export async function writePskKeysFile(dir: string, keys: readonly PskKey[]): Promise<string> {
  if (keys.length === 0) throw new InvalidPskKeyError('identity', 'received no keys, allowed at least one');
  const identities = new Set<string>();
  for (const key of keys) {
    assertValidPskKey(key);
    if (identities.has(key.identity)) throw new InvalidPskKeyError('identity', `received ${key.identity} twice, allowed once`);
    identities.add(key.identity);
  }
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  const filePath = path.join(dir, PSK_KEYS_FILE_NAME);
  await writeFileAtomic(filePath, keys.map((key) => `${key.identity}:${key.keyHex.toLowerCase()}`).join('\n') + '\n', { mode: 0o600 });
  return filePath;
}
