/**
 * How the CLI ends (docs/cli.md, "Exit codes"): 0 done; 1 the API answered an error or the
 * operation failed; 2 a mistake in the command line (nothing was sent); 3 something this machine
 * lacks (root, the nbd module, nbd-client, the deployment's outputs file).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, precondition: 3 } as const;

/** A mistake in the command line: exit status 2, nothing sent. */
export class UsageError extends Error {}

/** Something this machine lacks: exit status 3. */
export class PreconditionError extends Error {}
