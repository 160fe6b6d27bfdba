import { randomBytes } from 'node:crypto';

export const MODIFICATION_ID_PATTERN = /^mod-[0-9a-z]{10}-[0-9a-f]{8}$/;

/** Time-ordered, so a volume's modifications sort newest first by id. */
export const newModificationId = (now: Date): string =>
  `mod-${now.getTime().toString(36).padStart(10, '0')}-${randomBytes(4).toString('hex')}`;
