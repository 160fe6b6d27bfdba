import type { PskKey } from '../../../core/psk-key';
import type { KeyVault, SealedKey } from '../../../core/sealed-key';

/**
 * Seals like KMS with an encryption context: the ciphertext names the volume, holds the key
 * bytes (base64, so the hex never appears in a stored record) and opens only for that volume
 * and identity.
 */
export class FakeKeyVault implements KeyVault {
  sealed = 0;
  opened = 0;

  async seal(volumeId: string, key: PskKey): Promise<SealedKey> {
    this.sealed += 1;
    const blob = Buffer.concat([Buffer.from(`${volumeId}/${key.identity}/`), Buffer.from(key.keyHex, 'hex')]);
    return { identity: key.identity, ciphertext: blob.toString('base64') };
  }

  async open(volumeId: string, sealed: SealedKey): Promise<PskKey> {
    this.opened += 1;
    const blob = Buffer.from(sealed.ciphertext, 'base64');
    const prefix = Buffer.from(`${volumeId}/${sealed.identity}/`);
    if (!blob.subarray(0, prefix.length).equals(prefix)) throw new Error(`ciphertext was not sealed for ${volumeId}/${sealed.identity}`);
    return { identity: sealed.identity, keyHex: blob.subarray(prefix.length).toString('hex') };
  }
}

/** A sealed key as the fake vault makes it, for building volumes in tests. */
export function aSealedKey(volumeId: string, identity: string, keyHex: string): SealedKey {
  const blob = Buffer.concat([Buffer.from(`${volumeId}/${identity}/`), Buffer.from(keyHex, 'hex')]);
  return { identity, ciphertext: blob.toString('base64') };
}
