import { SingleBar } from 'cli-progress';
import { say } from './session';

/**
 * Progress of a long operation on stderr. With a terminal: a bar with the percentage, the rate
 * (percent per second, or the unit the operation counts) and the ETA (cli-progress). Without one,
 * or with --no-progress: a line when the state changes and at most every 10 s.
 */
export interface Progress {
  /** `rate` replaces the bar's default rate (percent per second), e.g. "3.2 MiB". */
  update(percent: number | undefined, state: string, rate?: string): void;
  stop(): void;
}

const LINE_INTERVAL_MS = 10_000;

export function progressFor(what: string, showBar: boolean): Progress {
  const started = Date.now();
  if (showBar) {
    const bar = new SingleBar({
      format: `${what} [{bar}] {percentage}% | {rate}/s | ETA {eta_formatted} | {state}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    });
    bar.start(100, 0, { state: 'starting', rate: '0.0%' });
    return {
      update(percent, state, rate) {
        const value = Math.max(0, Math.min(100, percent ?? 0));
        const seconds = (Date.now() - started) / 1000;
        bar.update(value, { state, rate: rate ?? `${(seconds > 0 ? value / seconds : 0).toFixed(1)}%` });
      },
      stop: () => bar.stop(),
    };
  }
  let lastState: string | undefined;
  let lastLine = 0;
  return {
    update(percent, state) {
      if (state === lastState && Date.now() - lastLine < LINE_INTERVAL_MS) return;
      const elapsed = `${Math.round((Date.now() - started) / 1000)} s`.padStart(6);
      say(`[${elapsed}] ${what} ${state}${percent === undefined ? '' : ` ${Math.round(percent)}%`}`);
      lastState = state;
      lastLine = Date.now();
    },
    stop: () => undefined,
  };
}

const MIB = 1024 * 1024;

/** Progress of sending `totalBytes`: the bar's state is "sent of total MiB", its rate MiB per second. */
export function byteProgressFor(what: string, totalBytes: number, showBar: boolean): { sent(bytes: number): void; stop(): void } {
  const progress = progressFor(what, showBar);
  const started = Date.now();
  const total = (totalBytes / MIB).toFixed(1);
  return {
    sent(bytes) {
      const seconds = (Date.now() - started) / 1000;
      const percent = totalBytes === 0 ? 100 : (100 * bytes) / totalBytes;
      progress.update(percent, `${(bytes / MIB).toFixed(1)} of ${total} MiB`, `${(seconds > 0 ? bytes / MIB / seconds : 0).toFixed(1)} MiB`);
    },
    stop: () => progress.stop(),
  };
}
