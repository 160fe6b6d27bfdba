import { InvalidStateError } from '../errors';

/** Snapshot lifecycle, in EBS's words (`pending|completed|error`), plus deletion. */
export const SnapshotStatus = {
  pending: 'pending',
  completed: 'completed',
  error: 'error',
  deleting: 'deleting',
  deleted: 'deleted',
} as const;
export type SnapshotStatus = (typeof SnapshotStatus)[keyof typeof SnapshotStatus];

export const FINAL_SNAPSHOT_STATUSES: readonly SnapshotStatus[] = [SnapshotStatus.deleted];

export type SnapshotEvent =
  | { readonly type: 'progress'; readonly percent: number }
  | { readonly type: 'uploaded' }
  | { readonly type: 'failed'; readonly reason: string }
  | { readonly type: 'delete-requested' }
  | { readonly type: 'chunks-released' };

export interface SnapshotStatusChange {
  readonly status: SnapshotStatus;
  readonly statusReason?: string;
}

function refuse(status: SnapshotStatus, event: SnapshotEvent): never {
  throw new InvalidStateError(`a snapshot that is ${status} cannot take '${event.type}'`, { status, event: event.type });
}

/** The one place where snapshot status changes are decided. */
export function applySnapshotEvent(status: SnapshotStatus, event: SnapshotEvent): SnapshotStatusChange {
  switch (event.type) {
    case 'progress':
      if (status !== SnapshotStatus.pending) return refuse(status, event);
      return { status };
    case 'uploaded':
      if (status !== SnapshotStatus.pending) return refuse(status, event);
      return { status: SnapshotStatus.completed };
    case 'failed':
      if (status !== SnapshotStatus.pending) return refuse(status, event);
      return { status: SnapshotStatus.error, statusReason: event.reason };
    case 'delete-requested':
      // A pending snapshot finishes or fails first: deleting it would race its upload.
      if (status === SnapshotStatus.completed || status === SnapshotStatus.error) return { status: SnapshotStatus.deleting };
      return refuse(status, event);
    case 'chunks-released':
      if (status !== SnapshotStatus.deleting) return refuse(status, event);
      return { status: SnapshotStatus.deleted };
    default: {
      const unknown: never = event;
      throw new InvalidStateError(`unknown snapshot event ${JSON.stringify(unknown)}`);
    }
  }
}
