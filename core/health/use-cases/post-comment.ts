import { randomBytes } from 'node:crypto';
import type { Comment, CommentChannel } from '../comment';
import { correlate, isCorrelated, type CandidateComponent } from '../correlation';
import type { DependencyMap, HealthStore } from '../ports';
import { hostComponentId } from '../topology';
import type { TriggerSettings } from '../triggers';

export interface PostCommentDeps {
  readonly store: HealthStore;
  readonly dependencies: DependencyMap;
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
 * hosts of their copies, with their racks and zones) and the verdict: `noise` unless a component
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
  const byVolume = await deps.dependencies.hostsOfTenant(tenantId);
  const volumesOf = new Map<string, string[]>();
  for (const [volumeId, hostIds] of byVolume) {
    for (const hostId of hostIds) {
      const componentId = hostComponentId(hostId);
      volumesOf.set(componentId, [...new Set([...(volumesOf.get(componentId) ?? []), volumeId])]);
    }
  }
  const since = new Date(now.getTime() - deps.triggers.correlationWindowMinutes * 60_000);
  const worst = await deps.store.worstLevelsSince([...volumesOf.keys()], since);
  return [...volumesOf].map(([componentId, volumeIds]) => ({ componentId, volumeIds, worstLevelInWindow: worst.get(componentId) ?? 'green' }));
}
