import { randomBytes } from 'node:crypto';

export const VOLUME_ID_PATTERN = /^vol-[0-9a-f]{17}$/;
export const COPY_ID_PATTERN = /^cpy-[0-9a-f]{12}$/;
export const HOST_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,62}$/;
export const COMMAND_ID_PATTERN = /^cmd-[0-9a-z]{10}-[0-9a-f]{8}$/;
export const ATTACHMENT_ID_PATTERN = /^att-[0-9a-f]{12}$/;

export const newVolumeId = (): string => `vol-${randomBytes(9).toString('hex').slice(0, 17)}`;
export const newCopyId = (): string => `cpy-${randomBytes(6).toString('hex')}`;
export const newAttachmentId = (): string => `att-${randomBytes(6).toString('hex')}`;
/** Time-ordered so a host's commands sort in the order they were issued. */
export const newCommandId = (now: Date): string =>
  `cmd-${now.getTime().toString(36).padStart(10, '0')}-${randomBytes(4).toString('hex')}`;
