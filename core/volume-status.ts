import { InvalidStateError } from './errors';

/** Volume lifecycle, in the words EBS users know. */
export const VolumeStatus = {
  creating: 'creating',
  available: 'available',
  inUse: 'in-use',
  degraded: 'degraded',
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
  | { readonly type: 'deletion-failed'; readonly reason: string };

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
      if (status === VolumeStatus.available || status === VolumeStatus.error || status === VolumeStatus.degraded) {
        return { status: VolumeStatus.deleting };
      }
      return refuse(status, event);
    case 'copies-deleted':
      if (status !== VolumeStatus.deleting) return refuse(status, event);
      return { status: VolumeStatus.deleted };
    case 'deletion-failed':
      if (status !== VolumeStatus.deleting) return refuse(status, event);
      return { status: VolumeStatus.error, statusReason: event.reason };
    default: {
      const unknown: never = event;
      throw new Error(`unhandled volume event ${JSON.stringify(unknown)}`);
    }
  }
}
