/** Everything the attach bridge refuses or fails at, for the CLI to print (exit status 1). */
export class BridgeError extends Error {
  constructor(
    message: string,
    options?: { cause?: unknown },
    /** The bridge process this error is about, when one was spawned (it is gone by then). */
    readonly pid?: number,
  ) {
    super(message, options);
    this.name = 'BridgeError';
  }
}
