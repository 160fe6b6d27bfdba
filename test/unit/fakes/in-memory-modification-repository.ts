import { VersionConflictError } from '../../../core/errors';
import type { Modification } from '../../../core/modification';
import type { ModificationPage, ModificationRepository, ModificationToken } from '../../../core/modification-ports';
import type { PageKey } from '../../../core/ports';

/** ModificationRepository in memory, with the DynamoDB adapter's semantics (versioned saves, first token wins). */
export class InMemoryModificationRepository implements ModificationRepository {
  private readonly modifications = new Map<string, Modification>();
  private readonly tokens = new Map<string, ModificationToken>();

  all(): Modification[] {
    return [...this.modifications.values()];
  }

  async create(modification: Modification): Promise<void> {
    if (this.modifications.has(modification.modificationId)) throw new Error(`modification ${modification.modificationId} exists`);
    this.modifications.set(modification.modificationId, modification);
  }

  async get(volumeId: string, modificationId: string): Promise<Modification | undefined> {
    const found = this.modifications.get(modificationId);
    return found?.volumeId === volumeId ? found : undefined;
  }

  async listByVolume(volumeId: string, listing: { readonly limit: number; readonly startKey?: PageKey }): Promise<ModificationPage> {
    const sorted = this.all()
      .filter((modification) => modification.volumeId === volumeId)
      .sort((a, b) => b.modificationId.localeCompare(a.modificationId));
    const start = listing.startKey ? sorted.findIndex((modification) => modification.modificationId === listing.startKey?.modificationId) + 1 : 0;
    const page = sorted.slice(start, start + listing.limit);
    const more = start + listing.limit < sorted.length;
    return { modifications: page, lastKey: more ? { modificationId: page[page.length - 1].modificationId } : undefined };
  }

  async save(modification: Modification): Promise<void> {
    const stored = this.modifications.get(modification.modificationId);
    if (stored?.version !== modification.version - 1) {
      throw new VersionConflictError(`modification ${modification.modificationId} was changed by another writer`);
    }
    this.modifications.set(modification.modificationId, modification);
  }

  async tokenOf(tenantId: string, volumeId: string, clientToken: string): Promise<ModificationToken | undefined> {
    return this.tokens.get(`${tenantId}#${volumeId}#${clientToken}`);
  }

  async rememberToken(tenantId: string, volumeId: string, clientToken: string, token: ModificationToken): Promise<void> {
    const key = `${tenantId}#${volumeId}#${clientToken}`;
    if (!this.tokens.has(key)) this.tokens.set(key, token);
  }
}
