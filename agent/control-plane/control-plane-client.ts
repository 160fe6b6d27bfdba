/**
 * The agent's side of the host API (docs/host-commands.md) over the signed {@link HostApi}:
 * every call either returns the parsed answer or throws {@link ControlPlaneRequestError}
 * (with the HTTP status, or none when no answer arrived) so the loops can decide to retry.
 */
import { z } from 'zod';
import type { HostApi } from '../../client/blockplane-api';
import type { SignedResponse } from '../../client/signed-http';
import type { CommandOutcome, HostCommand } from '../commands/command-handler';
import type { CopyReport } from '../controllers/copy-state';
import type { DiskReport } from '../devices/managed-disk';
import { ControlPlaneRequestError } from '../errors';

export type HostHealth = 'ok' | 'degraded' | 'failing';

export interface RegistrationRequest {
  hostId: string;
  location: string;
  rack?: string;
  address: string;
  agentVersion: string;
  disks: DiskReport[];
  copies: CopyReport[];
}

export interface HeartbeatRequest {
  health: HostHealth;
  disks?: DiskReport[];
  copies: CopyReport[];
}

const pollAnswerSchema = z.object({ commands: z.array(z.unknown()) });
const commandSchema = z.object({ commandId: z.string().min(1), type: z.string(), payload: z.unknown(), createdAt: z.string().optional() });

export interface ReplicaFaultReport {
  volumeId: string;
  copyId: string;
  generation: number;
  reason: string;
}

const replicaFaultAnswerSchema = z.object({ volumeId: z.string(), generation: z.number().int().min(0), outdatedCopyIds: z.array(z.string()) });
export type ReplicaFaultAnswer = z.infer<typeof replicaFaultAnswerSchema>;

export interface PollResult {
  commands: HostCommand[];
  /** Entries that are not commands at all (no id): logged and skipped. */
  unreadable: unknown[];
}

export class ControlPlaneClient {
  constructor(
    private readonly api: HostApi,
    readonly hostId: string,
  ) {}

  async register(request: RegistrationRequest): Promise<unknown> {
    return this.call('POST /hosts', () => this.api.register({ ...request }));
  }

  async heartbeat(request: HeartbeatRequest): Promise<unknown> {
    return this.call('POST /hosts/{id}/heartbeat', () => this.api.heartbeat(this.hostId, { ...request }));
  }

  async poll(waitSeconds: number): Promise<PollResult> {
    const body = await this.call('GET /hosts/{id}/commands', () => this.api.pollCommands(this.hostId, waitSeconds));
    const parsed = pollAnswerSchema.safeParse(body);
    if (!parsed.success) throw new ControlPlaneRequestError('GET /hosts/{id}/commands', 200, `the answer has no commands array: ${JSON.stringify(body).slice(0, 200)}`);
    const commands: HostCommand[] = [];
    const unreadable: unknown[] = [];
    for (const entry of parsed.data.commands) {
      const command = commandSchema.safeParse(entry);
      if (command.success) commands.push(command.data);
      else unreadable.push(entry);
    }
    return { commands, unreadable };
  }

  async postResult(commandId: string, outcome: CommandOutcome): Promise<unknown> {
    return this.call(`POST /hosts/{id}/commands/${commandId}/result`, () => this.api.postResult(this.hostId, commandId, { ...outcome }));
  }

  /**
   * Asks the control plane to mark this primary's mirror out of date (the consent to continue
   * alone). A 409 answer means the copy is no longer the primary: it must fence, never continue.
   */
  async reportReplicaFault(request: ReplicaFaultReport, timeoutMs: number): Promise<ReplicaFaultAnswer> {
    const body = await this.call('POST /hosts/{id}/replica-faults', () => this.api.reportReplicaFault(this.hostId, { ...request }, timeoutMs));
    const parsed = replicaFaultAnswerSchema.safeParse(body);
    if (!parsed.success) throw new ControlPlaneRequestError('POST /hosts/{id}/replica-faults', 200, `unexpected answer: ${JSON.stringify(body).slice(0, 200)}`);
    return parsed.data;
  }

  /** Tells the control plane a command still runs, with figures when known (docs/host-commands.md). */
  async postProgress(commandId: string, progress: { current?: number; total?: number }): Promise<unknown> {
    return this.call(`POST /hosts/{id}/commands/${commandId}/progress`, () => this.api.postProgress(this.hostId, commandId, { ...progress }));
  }

  private async call(operation: string, request: () => Promise<SignedResponse>): Promise<unknown> {
    let response: SignedResponse;
    try {
      response = await request();
    } catch (error) {
      throw new ControlPlaneRequestError(operation, undefined, (error as Error).message, { cause: error });
    }
    if (response.status < 200 || response.status > 299) {
      const body = response.body as { code?: string; message?: string } | undefined;
      const reason = body?.message ? `${body.code ?? ''} ${body.message}`.trim() : response.text.slice(0, 300);
      throw new ControlPlaneRequestError(operation, response.status, reason);
    }
    return response.body;
  }
}
