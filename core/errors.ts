/** Domain errors. Each names what went wrong; the HTTP layer maps the class to a status. */
export abstract class BlockplaneError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details: unknown = undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The request is malformed or out of range. */
export class InvalidRequestError extends BlockplaneError {
  readonly code = 'ValidationError';
}

/** The caller is not authenticated as anyone we know. */
export class UnauthenticatedError extends BlockplaneError {
  readonly code = 'Unauthenticated';
}

/** The caller is authenticated but may not do this. */
export class ForbiddenError extends BlockplaneError {
  readonly code = 'Forbidden';
}

/** The resource does not exist, or belongs to another tenant. */
export class NotFoundError extends BlockplaneError {
  readonly code = 'NotFound';
}

/** A retried request carries the same client token with different parameters. */
export class IdempotentParameterMismatchError extends BlockplaneError {
  readonly code = 'IdempotentParameterMismatch';
}

/** The resource is in a state that does not allow this operation. */
export class InvalidStateError extends BlockplaneError {
  /** Subclasses name the state problem more precisely (core/recovery/errors.ts). */
  readonly code: string = 'InvalidState';
}

/** Another writer changed the record first (optimistic concurrency). */
export class VersionConflictError extends BlockplaneError {
  readonly code = 'VersionConflict';
}

/** No set of hosts can hold the request. */
export class InsufficientCapacityError extends BlockplaneError {
  readonly code = 'InsufficientCapacity';
}

/** The request body is larger than any valid request. */
export class RequestTooLargeError extends BlockplaneError {
  readonly code = 'RequestTooLarge';
}

/** The caller sent more requests than its limit allows; it may retry after `retryAfterSeconds`. */
export class TooManyRequestsError extends BlockplaneError {
  readonly code = 'TooManyRequests';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details: unknown = undefined,
  ) {
    super(message, details);
  }
}

/** A documented per-resource limit would be passed (for instance attachments per volume). */
export class LimitExceededError extends BlockplaneError {
  readonly code = 'LimitExceeded';
}
