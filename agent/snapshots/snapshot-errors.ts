/** Errors of the agent's snapshot work; each says what went wrong and, for chunks, which one. */
import { AgentError } from '../errors';

export class SnapshotPointError extends AgentError {}

/** A chunk could not be sent or fetched after the retries its policy allows. */
export class ChunkTransferError extends AgentError {
  constructor(
    readonly digest: string,
    readonly status: number | undefined,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** A downloaded chunk's bytes do not hash to the digest the manifest names: the restore fails, naming it. */
export class CorruptChunkError extends AgentError {
  constructor(
    readonly index: number,
    readonly digest: string,
    readonly actual: string,
  ) {
    super(`chunk ${index} (${digest}) is corrupt: its bytes hash to ${actual}`);
  }
}

/** A copy could not be filled from its snapshot (a manifest that is not valid or does not fit the copy). */
export class SnapshotRestoreError extends AgentError {}
