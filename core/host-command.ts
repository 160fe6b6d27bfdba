/** Work a storage host is asked to do; the agent long-polls for these and posts results. */
export const HostCommandStatus = {
  pending: 'pending',
  succeeded: 'succeeded',
  failed: 'failed',
} as const;
export type HostCommandStatus = (typeof HostCommandStatus)[keyof typeof HostCommandStatus];

export const HOST_COMMAND_TYPES = [
  'create-copy',
  'start-replication',
  'promote-copy',
  'resume-copy',
  'delete-copy',
  'set-iops',
  'set-client-keys',
  'quiesce-replication',
  'resize-copy',
  'extend-chain',
  'end-chain',
  'collect-report',
  'open-recovery-access',
  'snapshot-copy',
] as const;
export type HostCommandType = (typeof HOST_COMMAND_TYPES)[number];

export interface HostCommand {
  readonly hostId: string;
  readonly commandId: string;
  readonly type: HostCommandType;
  readonly payload: Readonly<Record<string, unknown>>;
  /** Present when a workflow waits for the result. */
  readonly taskToken?: string;
  readonly status: HostCommandStatus;
  readonly createdAt: string;
  readonly result?: Readonly<Record<string, unknown>>;
  readonly error?: { readonly code: string; readonly message: string };
  /** When the host last reported progress on the command (docs/workflows.md, "Progress, not a clock"). */
  readonly lastProgressAt?: string;
  readonly progress?: { readonly current?: number; readonly total?: number };
}

/** A delivered command reappears in polls after this long unless its result arrives. */
export const REDELIVERY_AFTER_SECONDS = 60;
/** Finished commands are kept this long for audit, then expire. */
export const COMMAND_RETENTION_DAYS = 7;

/** What the agent receives: no task token, which stays inside the control plane. */
export function describeCommand(command: HostCommand) {
  return { commandId: command.commandId, type: command.type, payload: command.payload, createdAt: command.createdAt };
}
