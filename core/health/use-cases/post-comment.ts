import { randomBytes } from 'node:crypto';
import type { Comment, CommentChannel } from '../comment';
import { correlate, isCorrelated, type CandidateComponent } from '../correlation';
import type { Host } from '../../host';
import type { HostRepository } from '../../ports';
import type { DependencyMap, HealthStore } from '../ports';
import { dependenciesOfTenant } from '../tenant-dependencies';
import type { TriggerSettings } from '../triggers';

export interface PostCommentDeps {
  readonly store: HealthStore;
  readonly dependencies: DependencyMap;
  readonly hosts: Pick<HostRepository, 'get'>;
  readonly triggers: TriggerSettings;
  readonly now: () => Date;
}

export interface CommentInput {
  readonly tenantId?: string;
  readonly text: string;
  readonly volumeId?: string;
  readonly channel: CommentChannel;
  readonly receivedAt?: string;
}

export const newCommentId = (): string => `cmt-${randomBytes(8).toString('hex')}`;

/**
 * Stores a comment with its correlation to each component the tenant's volumes depend on (the
 * disks, hosts, racks and zones of their copies) and the verdict: `noise` unless a component
 * reaches the threshold. A comment without a tenant has no components and stays noise.
 */
export async function postComment(deps: PostCommentDeps, input: CommentInput): Promise<Comment> {
  const now = deps.now();
  const candidates = input.tenantId === undefined ? [] : await candidatesOf(deps, input.tenantId, now);
  const correlations = correlate(input.text, input.volumeId, deps.triggers.correlationWindowMinutes, candidates);
  const comment: Comment = {
    commentId: newCommentId(),
    ...(input.tenantId !== undefined ? { tenantId: input.tenantId } : {}),
    text: input.text,
    ...(input.volumeId !== undefined ? { volumeId: input.volumeId } : {}),
    channel: input.channel,
    receivedAt: input.receivedAt ?? now.toISOString(),
    verdict: isCorrelated(correlations) ? 'correlated' : 'noise',
    correlations,
  };
  await deps.store.saveComment(comment);
  return comment;
}

async function candidatesOf(deps: PostCommentDeps, tenantId: string, now: Date): Promise<CandidateComponent[]> {
  const volumes = await deps.dependencies.volumesOfTenant(tenantId);
  const hostIds = [...new Set(volumes.flatMap((volume) => volume.hostIds))];
  const hosts = new Map((await Promise.all(hostIds.map((hostId) => deps.hosts.get(hostId)))).filter((host): host is Host => host !== undefined).map((host) => [host.hostId, host]));
  const dependencies = dependenciesOfTenant(volumes, hosts);
  const since = new Date(now.getTime() - deps.triggers.correlationWindowMinutes * 60_000);
  const worst = await deps.store.worstLevelsSince(dependencies.map((d) => d.componentId), since);
  return dependencies.map((dependency) => ({ ...dependency, worstLevelInWindow: worst.get(dependency.componentId) ?? 'green' }));
}
