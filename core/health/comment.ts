import { z } from 'zod';
import { VOLUME_ID_PATTERN } from '../ids';

/** Where a comment came from: the customer's own channels, and those an operator ingests. */
export const CUSTOMER_CHANNELS = ['api', 'cli', 'help-box'] as const;
export const INGESTED_CHANNELS = ['email', 'forum', 'social', 'chat'] as const;
export type CommentChannel = (typeof CUSTOMER_CHANNELS)[number] | (typeof INGESTED_CHANNELS)[number];

export const MAX_COMMENT_CHARS = 4000;
const Text = z.string().trim().min(1, 'text must not be empty').max(MAX_COMMENT_CHARS, `text may be at most ${MAX_COMMENT_CHARS} characters`);
const VolumeId = z.string().regex(VOLUME_ID_PATTERN, 'volumeId must look like vol-…');

/** `POST /comments` (a customer). */
export const PostCommentRequestSchema = z.strictObject({
  text: Text,
  volumeId: VolumeId.optional(),
  channel: z.enum(CUSTOMER_CHANNELS).default('api'),
});
export type PostCommentRequest = z.infer<typeof PostCommentRequestSchema>;

/** `POST /comments/ingest` (operators): comments from other channels, each naming its tenant when known. */
export const IngestCommentsRequestSchema = z.strictObject({
  comments: z
    .array(
      z.strictObject({
        text: Text,
        channel: z.enum(INGESTED_CHANNELS),
        tenantId: z.string().regex(/^[A-Za-z0-9]{12,128}$/, 'tenantId is the principal id of a tenant').optional(),
        volumeId: VolumeId.optional(),
        receivedAt: z.iso.datetime().optional(),
      }),
    )
    .min(1)
    .max(100),
});
export type IngestCommentsRequest = z.infer<typeof IngestCommentsRequestSchema>;

/** A component's correlation with one comment: its score (0–1) and why. */
export interface Correlation {
  readonly componentId: string;
  readonly score: number;
  readonly reasons: readonly string[];
}

export interface Comment {
  readonly commentId: string;
  readonly tenantId?: string;
  readonly text: string;
  readonly volumeId?: string;
  readonly channel: CommentChannel;
  readonly receivedAt: string;
  /** `noise` until a component's correlation reaches the threshold. */
  readonly verdict: 'noise' | 'correlated';
  readonly correlations: readonly Correlation[];
}
