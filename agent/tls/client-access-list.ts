/**
 * The access list of a primary's NBD server: one client key per attachment of its volume.
 *
 * QEMU's PSK file must hold at least one key, so a primary whose volume has no attachment
 * admits a key this process made up and gave to nobody (one per copy, stable while the agent
 * runs, so repeating a command does not look like a key change).
 */
import { generatePskKey, PskKey } from './psk-keys-file';

const unsharedKeys = new Map<string, PskKey>();

/** A key for `copyId` that no client was ever given. */
export function unsharedKeyFor(copyId: string): PskKey {
  let key = unsharedKeys.get(copyId);
  if (!key) {
    key = generatePskKey(`nobody-${copyId}`.slice(0, 64));
    unsharedKeys.set(copyId, key);
  }
  return key;
}

/** The keys a primary serves with: a single `clientKey` (older control planes), the list, or the unshared key when both are empty. */
export function clientAccessList(copyId: string, clientKey: PskKey | undefined, clientKeys: readonly PskKey[] | undefined): PskKey[] {
  const keys = [...(clientKey ? [clientKey] : []), ...(clientKeys ?? [])];
  return keys.length > 0 ? keys : [unsharedKeyFor(copyId)];
}

/** True when `next` keeps every key of `current` unchanged (it only adds), so no session has to end. */
export function onlyAdds(current: readonly PskKey[], next: readonly PskKey[]): boolean {
  const kept = new Set(next.map((key) => `${key.identity}:${key.keyHex.toLowerCase()}`));
  return current.every((key) => kept.has(`${key.identity}:${key.keyHex.toLowerCase()}`));
}
