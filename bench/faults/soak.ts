/**
 * The fault soak: randomized runs of the fault harness over one local fleet (three storage hosts
 * on the local cloud): each run picks a fault class, a moment (how many acknowledged writes
 * before the fault) and a duration at random, then checks every acknowledged write and counts
 * stale reads as test/e2e/faults.test.ts does. Prints one line per run and, at the end, runs,
 * faults per class, acknowledged writes, lost writes, stale reads, longest client stall and
 * fail-over time per class.
 *
 *   npx tsx bench/faults/soak.ts [--runs 200] [--max-minutes 360] [--seed N] [--classes a,b] [--json results.jsonl]
 *
 * Needs root and the local cloud (started and deployed if missing, as the e2e tests do); honours
 * LOCAL_CLOUD_PORT and BLOCKPLANE_HOST_INDEX_OFFSET. Stops by itself after --runs runs or
 * --max-minutes, whichever comes first (SIGINT stops after the current run).
 */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import globalSetup from '../../test/e2e/global-setup';
import type { FaultClass, FaultPlan, FaultRunResult } from '../../test/e2e/support/fault-runs';

/** Per class: the range of the fault's duration in ms (see FaultPlan.durationMs). */
const DURATION_RANGE_MS: Record<FaultClass, readonly [number, number]> = {
  'link-reset': [2_000, 15_000],
  'link-blackhole': [5_000, 25_000],
  'primary-agent-frozen': [1_000, 10_000],
  'mirror-daemon-killed': [1_000, 10_000],
  'primary-host-killed': [0, 0],
  'mirror-then-primary-killed': [1_000, 6_000],
  'mirror-then-primary-killed-inspected': [1_000, 6_000],
  'control-plane-outage': [5_000, 25_000],
  'both-agents-restarted': [0, 8_000],
  'both-agents-stopped-cleanly': [0, 8_000],
  'filling-copy-daemon-killed': [1_000, 8_000],
  'fill-source-killed': [1_000, 8_000],
  'primary-killed-mid-fill': [0, 0],
};
const WARMUP_ACKS_RANGE = [500, 4_000] as const;

/** mulberry32: a small seeded generator, so that a soak can be replayed with --seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function options() {
  const { values } = parseArgs({
    options: { runs: { type: 'string' }, 'max-minutes': { type: 'string' }, seed: { type: 'string' }, classes: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log('usage: npx tsx bench/faults/soak.ts [--runs 200] [--max-minutes 360] [--seed N] [--classes link-reset,...] [--json results.jsonl]');
    process.exit(0);
  }
  const runs = Number(values.runs ?? 200);
  const maxMinutes = Number(values['max-minutes'] ?? 360);
  const seed = Number(values.seed ?? Date.now() % 2 ** 31);
  if (!Number.isInteger(runs) || runs < 1 || runs > 10_000) throw new Error(`--runs must be an integer in 1..10000, got ${values.runs}`);
  if (!(maxMinutes > 0 && maxMinutes <= 24 * 60)) throw new Error(`--max-minutes must be in (0, 1440], got ${values['max-minutes']}`);
  return { runs, maxMinutes, seed, classes: values.classes?.split(','), json: values.json };
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);

function summarize(results: FaultRunResult[], failures: { plan: FaultPlan; error: string }[]): void {
  const sum = (f: (r: FaultRunResult) => number) => results.reduce((n, r) => n + f(r), 0);
  console.log('\n== fault soak ==');
  console.log(`runs ${results.length + failures.length} (${failures.length} could not complete)`);
  console.log(`acknowledged writes ${sum((r) => r.ackedWrites)}`);
  console.log(`lost writes ${sum((r) => r.lostOnPrimary ?? 0)} on the primary, ${sum((r) => r.lostOnMirror ?? 0)} on the mirror; runs not served at the end ${results.filter((r) => !r.served).length}`);
  console.log(`stale reads ${sum((r) => r.staleReads)} of ${sum((r) => r.reads)} reads`);
  console.log(`longest client stall ${Math.round(Math.max(0, ...results.map((r) => (Number.isNaN(r.longestStallMs) ? 0 : r.longestStallMs))))} ms`);
  const classes = [...new Set([...results.map((r) => r.plan.faultClass), ...failures.map((f) => f.plan.faultClass)])];
  for (const c of classes) {
    const of = results.filter((r) => r.plan.faultClass === c);
    const failOvers = of.map((r) => r.failOverMs).filter((x): x is number => x !== undefined);
    const stalls = of.map((r) => r.longestStallMs).filter((x) => !Number.isNaN(x));
    console.log(
      `  ${c}: faults ${of.length + failures.filter((f) => f.plan.faultClass === c).length}, acknowledged ${of.reduce((n, r) => n + r.ackedWrites, 0)},` +
        ` lost ${of.reduce((n, r) => n + (r.lostOnPrimary ?? 0), 0)}, stale ${of.reduce((n, r) => n + r.staleReads, 0)},` +
        ` not served ${of.filter((r) => !r.served).length}, longest stall ${Math.round(Math.max(0, ...stalls))} ms,` +
        ` fail-over ${failOvers.length ? `median ${Math.round(median(failOvers))} ms, max ${Math.round(Math.max(...failOvers))} ms` : '-'}`,
    );
  }
  for (const f of failures.slice(0, 5)) console.log(`  failed run ${f.plan.faultClass}: ${f.error}`);
}

async function main(): Promise<void> {
  const opts = options();
  await globalSetup();
  // Imported after the setup: these modules read the deployment and the identities when loaded.
  const { deployment, identities, volumesAs } = await import('../../test/e2e/support/local-cloud');
  const { describeRun, FAULT_CLASSES, FaultFleet } = await import('../../test/e2e/support/fault-runs');
  const classes = (opts.classes ?? [...FAULT_CLASSES]) as FaultClass[];
  for (const c of classes) if (!FAULT_CLASSES.includes(c)) throw new Error(`unknown fault class ${c}; known: ${FAULT_CLASSES.join(', ')}`);
  const next = random(opts.seed);
  const between = (lo: number, hi: number) => Math.round(lo + next() * (hi - lo));
  console.log(`fault soak: up to ${opts.runs} runs or ${opts.maxMinutes} min, seed ${opts.seed}, classes ${classes.join(', ')}`);
  const fleet = new FaultFleet(volumesAs('a'), [identities.hosts.h1!, identities.hosts.h2!, identities.hosts.h3!], deployment.hostsTableName);
  const results: FaultRunResult[] = [];
  const failures: { plan: FaultPlan; error: string }[] = [];
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    console.log('SIGINT: stopping after the current run');
  });
  const deadline = Date.now() + opts.maxMinutes * 60_000;
  await fleet.start();
  try {
    for (let i = 1; i <= opts.runs && Date.now() < deadline && !interrupted; i++) {
      const faultClass = classes[Math.floor(next() * classes.length)]!;
      const [lo, hi] = DURATION_RANGE_MS[faultClass];
      const plan: FaultPlan = { faultClass, warmupAcks: between(...WARMUP_ACKS_RANGE), durationMs: between(lo, hi) };
      try {
        const result = await fleet.run(plan);
        results.push(result);
        console.log(`run ${i}: ${describeRun(result)}`);
        if (opts.json) appendFileSync(opts.json, `${JSON.stringify(result)}\n`);
      } catch (error) {
        failures.push({ plan, error: String(error) });
        console.log(`run ${i}: ${faultClass} could not complete: ${String(error)}`);
      }
    }
  } finally {
    summarize(results, failures);
    await fleet.destroy();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
