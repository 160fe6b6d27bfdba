/**
 * How the demo tells its story: one line per event with the time, and for every chapter one
 * summary row naming what it proves with the figures that prove it, printed as a table at the end.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Proof {
  readonly chapter: string;
  readonly proves: string;
  readonly figures: string;
  readonly ok: boolean;
}

const WAIT_MS = 180_000;

export class Story {
  private readonly proofs: Proof[] = [];
  private readonly started = Date.now();

  log(message: string): void {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    process.stdout.write(`[${seconds} s] ${message}\n`);
  }

  chapter(title: string): void {
    process.stdout.write(`\n== ${title}\n`);
  }

  /** Records what a chapter proved; a chapter whose proof does not hold stops the demo. */
  prove(proof: Proof): void {
    this.proofs.push(proof);
    this.log(`${proof.ok ? 'PROVED' : 'NOT PROVED'}: ${proof.proves} (${proof.figures})`);
    if (!proof.ok) throw new Error(`${proof.chapter}: ${proof.proves} does not hold: ${proof.figures}`);
  }

  /** Polls `probe` every 250 ms until it answers, at most WAIT_MS. */
  async until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
      await sleep(250);
    }
  }

  summary(): string {
    const rows = [['chapter', 'proves', 'figures', ''], ...this.proofs.map((p) => [p.chapter, p.proves, p.figures, p.ok ? 'ok' : 'FAILED'])];
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
    return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line), `total ${((Date.now() - this.started) / 1000).toFixed(0)} s`].join('\n');
  }
}
