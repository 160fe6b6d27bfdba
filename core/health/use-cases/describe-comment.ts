import type { Comment } from '../comment';

/** What the caller sees of a stored comment: its verdict and the correlation with its reasons. */
export function describeComment(comment: Comment) {
  const { tenantId: _tenant, ...visible } = comment;
  return visible;
}
