import { Command } from '@commander-js/extra-typings';
import { ok } from '../client/blockplane-api';
import type { ApiRoute } from '../contract/routes';
import { UsageError } from './errors';
import { print } from './output';
import { checked, fieldOptions, requestFrom, type FieldOption } from './schema-options';
import type { Session } from './session';

/**
 * One generated command per API route (cli/command-names.ts names it): the path parameters
 * are its arguments, the query's or body's fields its options (cli/schema-options.ts), all
 * checked with the route's own schemas before anything is sent. A list whose query takes
 * `nextToken` follows every page unless `--next-token` is given. `after` lets a command do more
 * with the answer (wait for a state, with progress) before it is printed.
 */
export type AfterHook = (answer: unknown, session: Session, options: Record<string, unknown>) => Promise<unknown>;

export interface RouteCommandExtras {
  readonly extraOptions?: readonly { flags: string; description: string }[];
  readonly after?: AfterHook;
}

const pathParameterNames = (route: ApiRoute): string[] => [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);

function pathOf(route: ApiRoute, values: readonly string[]): string {
  const names = pathParameterNames(route);
  let path = route.path;
  names.forEach((name, index) => {
    const schema = route.pathParameters?.[name];
    const value = values[index]!;
    if (schema) checked(schema, value, name);
    path = path.replace(`{${name}}`, encodeURIComponent(value));
  });
  return path;
}

function queryString(query: Record<string, unknown>): string {
  const entries = Object.entries(query).filter(([, value]) => value !== undefined);
  return entries.length ? `?${new URLSearchParams(entries.map(([key, value]): [string, string] => [key, String(value)])).toString()}` : '';
}

async function call(session: Session, route: ApiRoute, path: string, query: Record<string, unknown>, body: unknown): Promise<unknown> {
  const response = await session.http().request(route.method.toUpperCase(), `${path}${queryString(query)}`, body);
  return ok<unknown>(response);
}

async function allPages(session: Session, route: ApiRoute, path: string, query: Record<string, unknown>): Promise<unknown> {
  const first = (await call(session, route, path, query, undefined)) as Record<string, unknown>;
  const listKey = Object.keys(first).find((key) => Array.isArray(first[key]));
  if (!listKey) return first;
  const items = [...(first[listKey] as unknown[])];
  let nextToken = first.nextToken as string | undefined;
  while (nextToken) {
    const page = (await call(session, route, path, { ...query, nextToken }, undefined)) as Record<string, unknown>;
    items.push(...((page[listKey] as unknown[]) ?? []));
    nextToken = page.nextToken as string | undefined;
  }
  return { [listKey]: items };
}

export function routeCommand(route: ApiRoute, verb: string, session: () => Session, extras: RouteCommandExtras = {}): Command {
  const command = new Command(verb).description(`${route.summary} (${route.method.toUpperCase()} ${route.path})`);
  for (const name of pathParameterNames(route)) command.argument(`<${name}>`);
  const fields: FieldOption[] = route.body ? fieldOptions(route.body) : route.query ? fieldOptions(route.query) : [];
  for (const field of fields) command.addOption(field.option);
  if (route.body) command.option('--body <json>', 'the whole request body as JSON (options given as well replace its fields)');
  for (const extra of extras.extraOptions ?? []) command.option(extra.flags, extra.description);
  command.action(async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const positionals = cmd.args;
    const values = cmd.opts() as Record<string, unknown>;
    const current = session();
    const path = pathOf(route, positionals);
    let answer: unknown;
    if (route.body) {
      const body = requestFrom(fields, values, values.body as string | undefined);
      for (const field of fields) {
        if (field.required && body[field.field] === undefined) throw new UsageError(`${field.flag} is required`);
      }
      checked(route.body, body, 'body');
      answer = await call(current, route, path, {}, body);
    } else {
      const query = requestFrom(fields, values, undefined, true);
      if (route.query) checked(route.query, query, 'query');
      answer = route.query?.shape.nextToken && query.nextToken === undefined ? await allPages(current, route, path, query) : await call(current, route, path, query, undefined);
    }
    const result = extras.after ? await extras.after(answer, current, values) : answer;
    print(result, current.options.output);
  });
  return command;
}
