import type { Modification } from './modification';
import type { Volume } from './volume';
import type { PageKey } from './ports';

export interface ModificationPage {
  readonly modifications: readonly Modification[];
  readonly lastKey?: PageKey;
}

/** A client token's first use: which modification the request became, and what it asked for. */
export interface ModificationToken {
  readonly modificationId: string;
  readonly fingerprint: string;
}

export interface ModificationRepository {
  /** Stores a new modification (version 1); refused if the id exists. */
  create(modification: Modification): Promise<void>;
  get(volumeId: string, modificationId: string): Promise<Modification | undefined>;
  /** Newest first. */
  listByVolume(volumeId: string, listing: { readonly limit: number; readonly startKey?: PageKey }): Promise<ModificationPage>;
  /** Writes `modification` if the stored version is still `modification.version - 1` (VersionConflictError otherwise). */
  save(modification: Modification): Promise<void>;
  /** The modification a (tenant, volume, client token) request became, if that token was used. */
  tokenOf(tenantId: string, volumeId: string, clientToken: string): Promise<ModificationToken | undefined>;
  /** Remembers the token's outcome; the first writer wins and later calls leave it as it is. */
  rememberToken(tenantId: string, volumeId: string, clientToken: string, token: ModificationToken): Promise<void>;
}

export interface ModificationWorkflows {
  /** One modification workflow per modification: starting it twice starts it once. */
  startModification(volumeId: string, modificationId: string): Promise<void>;
}

/** The volumes that have an automatic-adjustment policy, for the scheduled evaluation. */
export interface PolicyVolumes {
  listWithPolicy(): Promise<readonly Volume[]>;
}
