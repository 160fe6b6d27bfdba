/**
 * Short QEMU names for one copy's nodes, objects, export and job.
 *
 * QEMU node names are limited to 31 characters, must start with a letter and allow only
 * `[A-Za-z0-9_.-]`; export and job ids must start with a letter too (qemu-7.2 §9.5). Volume and
 * copy ids are UUID-like and do not fit, so each copy gets a short base derived from its copy
 * id (`c` + 10 hex digits of SHA-256) and every name is built from it. The map is stored in the
 * copy's metadata, so a later change of the derivation never renames an existing copy.
 */
import { createHash } from 'node:crypto';
import { InvalidNodeNameError } from '../errors';

export interface CopyNodeNames {
  /** `file` protocol node (the raw file, O_DIRECT). */
  file: string;
  /** `raw` format node above `file`. */
  format: string;
  /** `throttle` filter node: the copy's root, the mirror job's device. */
  root: string;
  /** The mirror job's `filter-node-name`; exports sit here while a job runs. */
  mirrorFilter: string;
  /** `nbd` client node that points at the peer's export (mirror target). */
  peer: string;
  /** `throttle-group` object of the volume. */
  throttleGroup: string;
  /** NBD export id (the export *name* is the volume id). */
  export: string;
  /** Mirror job id. */
  mirrorJob: string;
  /** Backup job id of an incremental resync pass. */
  resyncJob: string;
  /** `tls-creds-psk` object, endpoint server. */
  serverTls: string;
  /** `tls-creds-psk` object, endpoint client (for the mirror target). */
  clientTls: string;
}

const MAX_NODE_NAME_LENGTH = 31;
const NODE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]*$/;

/** Throws {@link InvalidNodeNameError} unless QEMU accepts `name` as a node, object, export or job id. */
export function assertValidNodeName(name: string): string {
  if (name.length === 0) throw new InvalidNodeNameError(name, 'it is empty');
  if (name.length > MAX_NODE_NAME_LENGTH) {
    throw new InvalidNodeNameError(name, `it has ${name.length} characters`);
  }
  if (!NODE_NAME_PATTERN.test(name)) throw new InvalidNodeNameError(name, 'it contains a character not allowed or does not start with a letter');
  return name;
}

/** Derives the names for one copy; deterministic in `copyId`. */
export function deriveNodeNames(copyId: string): CopyNodeNames {
  const base = 'c' + createHash('sha256').update(copyId).digest('hex').slice(0, 10);
  const names: CopyNodeNames = {
    file: `${base}-file`,
    format: `${base}-fmt`,
    root: base,
    mirrorFilter: `${base}-mirror`,
    peer: `${base}-peer`,
    throttleGroup: `tg-${base}`,
    export: `exp-${base}`,
    mirrorJob: `job-${base}`,
    resyncJob: `resync-${base}`,
    serverTls: `tls-srv-${base}`,
    clientTls: `tls-cli-${base}`,
  };
  for (const name of Object.values(names)) assertValidNodeName(name);
  return names;
}
