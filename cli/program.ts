import { Command, Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { API_ROUTES } from '../contract/routes';
import { attachCommands } from './attach';
import { cliRoutes, commandNameOf, GROUP_DESCRIPTIONS, HAND_WRITTEN } from './command-names';
import { completionCommand } from './completion';
import { diagnoseCommand } from './diagnose';
import { print } from './output';
import { routeCommand, type RouteCommandExtras } from './route-command';
import { Session, type GlobalOptions } from './session';
import { DEFAULT_WAIT_SECONDS, VOLUME_STATUSES, waitForModification, waitForSnapshot, waitForVolume } from './waits';

/**
 * The CLI's command tree (commander): a generated command per customer and operator route of
 * the contract (cli/route-command.ts), grouped as cli/command-names.ts says, plus what takes more
 * than one call: `volumes wait`, `--wait` on creates, `attach`/`detach`, `diagnose collect`,
 * `completion`. Global options come before or after the command.
 */
const EXTRAS: Readonly<Record<string, RouteCommandExtras>> = {
  CreateVolume: {
    extraOptions: [{ flags: '--wait', description: 'wait until the volume is available, showing its state' }],
    after: async (answer, session, options) =>
      options.wait ? waitForVolume(session, (answer as { volumeId: string }).volumeId, 'available') : answer,
  },
  CreateModification: {
    extraOptions: [{ flags: '--wait', description: 'wait until the modification finishes, with a progress bar (rate, ETA)' }],
    after: async (answer, session, options) => {
      const modification = answer as { modificationId?: string; dryRun?: boolean };
      return options.wait && modification.modificationId && !modification.dryRun ? waitForModification(session, answer as never) : answer;
    },
  },
  CreateSnapshot: {
    extraOptions: [{ flags: '--wait', description: 'wait until the snapshot completes, with a progress bar (rate, ETA)' }],
    after: async (answer, session, options) => (options.wait ? waitForSnapshot(session, answer as never) : answer),
  },
};

const HELP_EPILOG = `
Exit codes: 0 done; 1 the API answered an error or the operation failed; 2 a mistake in the
command line (nothing was sent); 3 something this machine lacks (root, nbd, the outputs file).
Credentials come from the AWS default chain (environment, shared config/SSO, instance role).`;

export function buildProgram(): CommandUnknownOpts {
  const program = new Command('blockplane')
    .description('Blockplane: elastic, replicated block storage (docs/cli.md)')
    .addOption(new Option('--outputs <file>', "the deployment's outputs file (default $BLOCKPLANE_OUTPUTS or local/.state/outputs.json)"))
    .addOption(new Option('--run-dir <dir>', 'where bridges keep their files (default /run/blockplane)'))
    .addOption(new Option('-o, --output <format>', 'how results are printed').choices(['json', 'table'] as const).default('json' as const))
    .option('--no-progress', 'no progress bars (they are shown only on a terminal anyway)')
    .enablePositionalOptions(false)
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', HELP_EPILOG);
  const session = () => new Session(program.opts() as GlobalOptions);

  const groups = new Map<string, Command>();
  const groupOf = (name: string): Command => {
    let group = groups.get(name);
    if (!group) {
      group = new Command(name).description(GROUP_DESCRIPTIONS[name] ?? `${name}: the commands below`);
      groups.set(name, group);
    }
    return group;
  };
  for (const route of cliRoutes(API_ROUTES)) {
    if (HAND_WRITTEN[route.operationId]) continue;
    const [group, verb] = commandNameOf(route);
    groupOf(group).addCommand(routeCommand(route, verb, session, EXTRAS[route.operationId]) as unknown as Command);
  }
  groupOf('volumes')
    .command('wait')
    .description('Waits until the volume reaches --status (polling GET /volumes/{volumeId}); fails if it reaches error or deleted instead')
    .argument('<volumeId>')
    .addOption(new Option('--status <status>', 'the status to wait for').choices(VOLUME_STATUSES).makeOptionMandatory())
    .option('--timeout-seconds <n>', `give up after this long (default ${DEFAULT_WAIT_SECONDS})`)
    .action(async (volumeId, options) => {
      const current = session();
      const timeout = options.timeoutSeconds === undefined ? DEFAULT_WAIT_SECONDS : Number(options.timeoutSeconds);
      print(await waitForVolume(current, volumeId, options.status, timeout), current.options.output);
    });

  for (const group of [...groups.values()].sort((a, b) => a.name().localeCompare(b.name()))) program.addCommand(group);
  for (const command of attachCommands(session)) program.addCommand(command as unknown as Command);
  program.addCommand(diagnoseCommand(session) as unknown as Command);
  program.addCommand(completionCommand(() => program as unknown as CommandUnknownOpts) as unknown as Command);
  return program as unknown as CommandUnknownOpts;
}
