import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { API_ROUTES } from '../../../contract/routes';
import { cliRoutes, commandNameOf, HAND_WRITTEN } from '../../../cli/command-names';
import { completionScript } from '../../../cli/completion';
import { buildProgram } from '../../../cli/program';

/**
 * The CLI's command tree against its definitions: every customer and operator route of the
 * contract has a command, each command's --help shows every argument and option it defines,
 * and the completion script offers every command and option.
 */
function everyCommand(command: CommandUnknownOpts, path: string[] = []): { path: string[]; command: CommandUnknownOpts }[] {
  return command.commands.flatMap((sub) => [
    { path: [...path, sub.name()], command: sub as CommandUnknownOpts },
    ...everyCommand(sub as CommandUnknownOpts, [...path, sub.name()]),
  ]);
}

const program = buildProgram();
const commands = everyCommand(program);
const byPath = new Map(commands.map((entry) => [entry.path.join(' '), entry.command]));

test('every customer and operator route of the contract has a command; host routes have none', () => {
  const missing = cliRoutes(API_ROUTES).filter((route) => {
    const handWritten = HAND_WRITTEN[route.operationId];
    return !byPath.has(handWritten ?? commandNameOf(route).join(' '));
  });
  expect(missing.map((route) => route.operationId)).toEqual([]);
  const hostRoutes = API_ROUTES.filter((route) => route.caller === 'host');
  expect(hostRoutes.length).toBeGreaterThan(0);
  for (const route of hostRoutes) expect(byPath.has(commandNameOf(route).join(' '))).toBe(false);
});

test.each(commands.map((entry) => [entry.path.join(' '), entry.command] as const))('`%s --help` shows each of its arguments and options', (_path, command) => {
  const help = command.helpInformation();
  for (const argument of command.registeredArguments) expect(help).toContain(`<${argument.name()}>`);
  for (const option of command.options) expect(help).toContain(option.flags);
  for (const sub of command.commands) expect(help).toContain(sub.name());
  if (command.description()) expect(help.replace(/\s+/g, ' ')).toContain(command.description().replace(/\s+/g, ' ').slice(0, 40));
});

test('a generated command takes the path parameters as arguments and the body fields as options', () => {
  const create = byPath.get('modifications create')!;
  expect(create.registeredArguments.map((argument) => argument.name())).toEqual(['volumeId']);
  expect(create.options.map((option) => option.long)).toEqual(
    expect.arrayContaining(['--size-gib', '--iops', '--type', '--location', '--dry-run', '--client-token', '--body', '--wait']),
  );
  expect(byPath.get('volumes create')!.options.find((option) => option.long === '--type')!.argChoices).toEqual(['hdd', 'ssd']);
});

test('the completion script offers every command path and its options', () => {
  const script = completionScript(program);
  for (const { path, command } of commands) {
    if (path[path.length - 1] === 'help') continue;
    expect(script).toContain(`"${path.join(' ')}") words="`);
    for (const option of command.options) if (option.long) expect(script).toContain(option.long);
  }
});
