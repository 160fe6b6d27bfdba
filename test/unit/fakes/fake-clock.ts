/** A clock the test moves: `sleep` advances time instantly and records how long was asked for. */
export class FakeClock {
  readonly sleeps: number[] = [];
  private millis: number;

  constructor(start = '2025-01-01T00:00:00.000Z') {
    this.millis = new Date(start).getTime();
  }

  readonly now = (): Date => new Date(this.millis);

  readonly sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.millis += ms;
  };

  advance(ms: number): void {
    this.millis += ms;
  }

  /** Total time spent in `sleep`. */
  get slept(): number {
    return this.sleeps.reduce((sum, ms) => sum + ms, 0);
  }
}
