import { InvalidStateError } from './errors';

/** Volume lifecycle, in the words EBS users know. */
export const VolumeStatus = {
  creating: 'creating',
  available: 'available',
  inUse: 'in-use',
  degraded: 'degraded',
  /** A modification is in flight (docs/modification.md); the primary serves, attachments come and go. */
  modifying: 'modifying',
  /** A host failure left a copy that must be recovered: client I/O is paused until a decision (docs/recovery.md). */
  impaired: 'impaired',
  deleting: 'deleting',
  deleted: 'deleted',
  error: 'error',
} as const;
export type VolumeStatus = (typeof VolumeStatus)[keyof typeof VolumeStatus];

export const FINAL_VOLUME_STATUSES: readonly VolumeStatus[] = [VolumeStatus.deleted];

/** What happened to a volume; each event moves it along the lifecycle or is refused. */
export type VolumeEvent =
  | { readonly type: 'copies-created' }
  | { readonly type: 'creation-failed'; readonly reason: string }
  | { readonly type: 'delete-requested' }
  | { readonly type: 'copies-deleted' }
  | { readonly type: 'deletion-failed'; readonly reason: string }
  | { readonly type: 'attached' }
  | { readonly type: 'detached'; readonly remainingAttachments: number }
  | { readonly type: 'copy-lost'; readonly reason: string }
  | { readonly type: 'replica-rebuilt'; readonly attachments: number }
  | { readonly type: 'rebuild-failed'; readonly reason: string }
  | { readonly type: 'modification-started' }
  | { readonly type: 'modification-ended'; readonly attachments: number }
  /** The modification ended with its primary quiesced: it did not serve again when told to. */
  | { readonly type: 'modification-stranded'; readonly reason: string }
  | { readonly type: 'recovery-impaired'; readonly reason: string }
  | { readonly type: 'recovery-enabled'; readonly reason: string };

/** Statuses in which the volume has a serving primary. */
export const SERVING_STATUSES: readonly VolumeStatus[] = [VolumeStatus.available, VolumeStatus.inUse, VolumeStatus.degraded, VolumeStatus.modifying];

export interface StatusChange {
  readonly status: VolumeStatus;
  readonly statusReason?: string;
}

function refuse(status: VolumeStatus, event: VolumeEvent): never {
  throw new InvalidStateError(`a volume that is ${status} cannot take '${event.type}'`, {
    status,
    event: event.type,
  });
}

/** The one place where volume status changes are decided. */
export function applyVolumeEvent(status: VolumeStatus, event: VolumeEvent): StatusChange {
  switch (event.type) {
    case 'copies-created':
      if (status !== VolumeStatus.creating) return refuse(status, event);
      return { status: VolumeStatus.available };
    case 'creation-failed':
      if (status !== VolumeStatus.creating) return refuse(status, event);
      return { status: VolumeStatus.error, statusReason: event.reason };
    case 'delete-requested':
      if (status === VolumeStatus.available || status === VolumeStatus.error || status === VolumeStatus.degraded || status === VolumeStatus.impaired) {
        return { status: VolumeStatus.deleting };
      }
      if (status === VolumeStatus.inUse) {
        throw new InvalidStateError('the volume is attached; detach every client before deleting it', { status });
      }
      if (status === VolumeStatus.modifying) {
        throw new InvalidStateError('a modification is in flight; cancel it or wait for it to end before deleting the volume', { status });
      }
      return refuse(status, event);
    case 'copies-deleted':
      if (status !== VolumeStatus.deleting) return refuse(status, event);
      return { status: VolumeStatus.deleted };
    case 'deletion-failed':
      if (status !== VolumeStatus.deleting) return refuse(status, event);
      return { status: VolumeStatus.error, statusReason: event.reason };
    case 'attached':
      if (status === VolumeStatus.available || status === VolumeStatus.inUse) return { status: VolumeStatus.inUse };
      if (status === VolumeStatus.degraded || status === VolumeStatus.modifying) return { status };
      return refuse(status, event);
    case 'detached':
      if (status === VolumeStatus.inUse) return { status: event.remainingAttachments > 0 ? VolumeStatus.inUse : VolumeStatus.available };
      if (status === VolumeStatus.available || status === VolumeStatus.degraded || status === VolumeStatus.modifying || status === VolumeStatus.impaired) return { status };
      return refuse(status, event);
    case 'copy-lost':
      if (!SERVING_STATUSES.includes(status)) return refuse(status, event);
      return { status: VolumeStatus.degraded, statusReason: event.reason };
    case 'replica-rebuilt':
      if (status !== VolumeStatus.degraded) return refuse(status, event);
      return { status: event.attachments > 0 ? VolumeStatus.inUse : VolumeStatus.available };
    case 'rebuild-failed':
      if (status !== VolumeStatus.degraded) return refuse(status, event);
      return { status: VolumeStatus.degraded, statusReason: event.reason };
    case 'modification-started':
      if (status !== VolumeStatus.available && status !== VolumeStatus.inUse) {
        throw new InvalidStateError(`a volume that is ${status} cannot be modified; only an available or in-use volume can`, { status });
      }
      return { status: VolumeStatus.modifying };
    case 'modification-ended':
      // A copy lost during the modification made the volume degraded; fail-over owns it from there.
      if (status === VolumeStatus.degraded) return { status };
      if (status !== VolumeStatus.modifying) return refuse(status, event);
      return { status: event.attachments > 0 ? VolumeStatus.inUse : VolumeStatus.available };
    case 'modification-stranded':
      if (status === VolumeStatus.degraded) return { status };
      if (status !== VolumeStatus.modifying) return refuse(status, event);
      return { status: VolumeStatus.error, statusReason: event.reason };
    case 'recovery-impaired':
      if (!SERVING_STATUSES.includes(status) && status !== VolumeStatus.impaired && status !== VolumeStatus.error) return refuse(status, event);
      return { status: VolumeStatus.impaired, statusReason: event.reason };
    case 'recovery-enabled':
      // The enabled copy serves again through the fail-over workflow, which builds a new mirror (degraded until it is in sync).
      if (status !== VolumeStatus.impaired) return refuse(status, event);
      return { status: VolumeStatus.degraded, statusReason: event.reason };
    default: {
      const unknown: never = event;
      throw new Error(`unhandled volume event ${JSON.stringify(unknown)}`);
    }
  }
}
