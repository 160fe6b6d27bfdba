import type { PskKey } from './psk-key';

/**
 * A PSK key as the control plane stores it: the identity in the clear, the 32 key bytes
 * encrypted by the deployment's KMS key with the encryption context `{volumeId, identity}`,
 * so a ciphertext opens only for the volume and identity it was sealed for.
 */
export interface SealedKey {
  readonly identity: string;
  /** Base64 of the KMS ciphertext blob. */
  readonly ciphertext: string;
}

/** Seals and opens keys; only the functions that mint keys may seal, only those that hand them out may open. */
export interface KeyVault {
  seal(volumeId: string, key: PskKey): Promise<SealedKey>;
  open(volumeId: string, sealed: SealedKey): Promise<PskKey>;
}
