import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { type BlockplaneStacks, type BlockplaneStacksProps, addBlockplaneStacks } from '../../lib/blockplane-app';
import { REPO_ROOT } from '../../lib/repo-paths';

/** Synthesis of the whole app takes a few seconds; hooks that synthesize get this long. */
export const SYNTH_TIMEOUT_MS = 120_000;

export interface SynthesizedBlockplane {
  readonly app: App;
  readonly stacks: BlockplaneStacks;
  /** CDK's validation report (its built-in CloudFormation checks), if it wrote one. */
  readonly validationReport?: ValidationReport;
  readonly data: Template;
  readonly workflows: Template;
  readonly api: Template;
  readonly diagnostics: Template;
  /** Only with context `fleet: true`. */
  readonly fleet?: Template;
  /** Every stack's template, by stack id (`BlockplaneAudit`, …). */
  readonly byStack: Readonly<Record<string, Template>>;
  /** Warnings and errors that constructs attached during synthesis (`cdk synth` prints them). */
  readonly annotations: readonly Annotation[];
}

export interface Annotation {
  readonly level: 'warning' | 'error';
  /** Path of the construct, as `/BlockplaneFleet/…`. */
  readonly path: string;
  readonly message: string;
}

export interface SynthOptions {
  /** CDK context, as `cdk -c key=value` would give it. */
  readonly context?: Record<string, unknown>;
  /** What the app passes to addBlockplaneStacks (bin/app.ts passes only `env`). */
  readonly props?: BlockplaneStacksProps;
  /** Run esbuild for every function (slow); otherwise assets are placeholders. */
  readonly bundle?: boolean;
  /** Looks at the cloud assembly before its directory is removed. */
  readonly inspect?: (assembly: CloudAssembly) => void;
}

/** A stand-in console build (two files), so synthesis needs no `npm run build:console`. */
export const CONSOLE_FIXTURE_BUILD = path.join(__dirname, 'fixtures', 'console-build');

/** The context in cdk.json, which the CDK CLI gives the app (feature flags among it). */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context ?? {};

/**
 * A fresh app with the Blockplane stacks and cdk.json's context, as `cdk synth` builds it,
 * synthesized into a temporary directory. Without
 * `bundle`, CDK skips asset bundling (`aws:cdk:bundling-stacks: []`, the context key the CDK
 * CLI uses to bundle only the stacks it deploys), which leaves templates unchanged but for
 * asset hashes. CDK's report of its own template validation is returned instead of
 * printed. The templates are read into memory and the assembly directory removed.
 */
export function synthesizeBlockplane(options: SynthOptions = {}): SynthesizedBlockplane {
  return withOutdir((outdir) => {
    const app = new App({
      outdir,
      context: { ...CDK_JSON_CONTEXT, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...options.context },
    });
    const stacks = addBlockplaneStacks(app, { consoleBuildDir: CONSOLE_FIXTURE_BUILD, ...options.props });
    const assembly = quietly(() => app.synth());
    options.inspect?.(assembly);
    const template = (stack: Stack) => Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template);
    const reportFile = path.join(outdir, 'validation-report.json');
    return {
      app,
      stacks,
      validationReport: fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : undefined,
      data: template(stacks.data),
      workflows: template(stacks.workflows),
      api: template(stacks.api),
      diagnostics: template(stacks.diagnostics),
      fleet: stacks.fleet && template(stacks.fleet),
      byStack: Object.fromEntries(app.node.children.filter(Stack.isStack).map((stack) => [stack.node.id, template(stack)])),
      annotations: assembly.stacks.flatMap((stack) =>
        stack.messages
          .filter((message) => message.level === 'warning' || message.level === 'error')
          .map((message) => ({ level: message.level as Annotation['level'], path: message.id, message: String(message.entry.data) })),
      ),
    };
  });
}

/** The parts of CDK's validation-report.json the tests read. */
export interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly { readonly ruleName: string; readonly severity: string; readonly description: string }[];
  }[];
}

let shared: SynthesizedBlockplane | undefined;

/** The app with default context, synthesized once per test file and shared by its tests. */
export function blockplane(): SynthesizedBlockplane {
  shared ??= synthesizeBlockplane();
  return shared;
}

/** Runs `fn` with a fresh temporary directory for a cloud assembly, removed afterwards. */
export function withOutdir<T>(fn: (outdir: string) => T): T {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'blockplane-infra-'));
  try {
    return fn(outdir);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Runs `fn` with console.error silenced (CDK prints its validation report there). */
export function quietly<T>(fn: () => T): T {
  const original = console.error;
  console.error = () => undefined;
  try {
    return fn();
  } finally {
    console.error = original;
  }
}

/** The one resource of `type` whose logical id starts with `prefix` (e.g. `VolumesTable`). */
export function resourceNamed(template: Template, type: string, prefix: string): { id: string; resource: any } {
  const matches = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} whose logical id starts with ${prefix}; found ${matches.map(([id]) => id).join(', ') || 'none'}`);
  }
  const [id, resource] = matches[0];
  return { id, resource };
}
