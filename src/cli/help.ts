/**
 * `--help` in the layout of Docker 20.10's CLI (cobra's template, pflag's flag table), with strata's name:
 *
 *   (blank line)
 *   Usage:  strata ps [OPTIONS]
 *
 *   List containers
 *
 *   Options:
 *     -a, --all             Show all containers (default shows just running)
 *         --format string   Format output using a custom template
 *
 * Flags sorted by name, the value's name after the flag, the usage column one past the longest flag, a
 * default other than empty shown as pflag shows it; a group lists its commands, the program its groups
 * apart (Management Commands). Not wrapped to the terminal's width (Docker's CLI wraps there).
 */
import type { Command, Option } from 'commander';

/** cobra's least width of a command's name in a listing. */
const MIN_NAME_PADDING = 11;

/** `  -f, --filter filter` or `      --format string`: a flag as pflag lists it, before its usage. */
function flagColumn(o: Option): string {
  const value = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1];
  const names = o.short ? `  ${o.short}, ${o.long}` : `      ${o.long}`;
  return value ? `${names} ${value.replace(/\.\.\.$/, '')}` : names;
}

/** pflag's ` (default "all")` for a default that is not its type's zero value. */
function defaultText(o: Option): string {
  const d: unknown = o.defaultValue;
  if (typeof d === 'string' && d !== '') return ` (default ${JSON.stringify(d)})`;
  if (typeof d === 'number') return ` (default ${d})`;
  return '';
}

function flagTable(options: readonly Option[]): string {
  const shown = options.filter((o) => !o.hidden && o.long !== '--help')
    .sort((a, b) => (a.long ?? '').localeCompare(b.long ?? ''));
  const width = Math.max(0, ...shown.map((o) => flagColumn(o).length)) + 1;
  return shown.map((o) => `${flagColumn(o).padEnd(width)}  ${o.description}${defaultText(o)}\n`).join('');
}

function commandList(commands: readonly Command[]): string {
  const width = Math.max(MIN_NAME_PADDING, ...commands.map((c) => c.name().length));
  return commands.map((c) => `  ${c.name().padEnd(width)} ${c.description()}\n`).join('');
}

/** The help text of `cmd`, named `full` (`strata image rm`). */
export function dockerHelp(cmd: Command, full: string): string {
  // A hidden command (conmon's `container cleanup`) is not the user's to run: commander marks it `_hidden`.
  const commands = cmd.commands.filter((c) => c.name() !== 'help' && !(c as Command & { _hidden?: boolean })._hidden).sort((a, b) => a.name().localeCompare(b.name()));
  const parts = [`\nUsage:  ${full} ${commands.length ? `${cmd.parent ? '' : '[OPTIONS] '}COMMAND` : cmd.usage()}\n`, `${cmd.description()}\n`];
  if (cmd.aliases().length) parts.push(`Aliases:\n  ${[cmd.name(), ...cmd.aliases()].join(', ')}\n`);
  const flags = flagTable(cmd.options);
  if (flags) parts.push(`Options:\n${flags}`);
  const groups = cmd.parent ? [] : commands.filter((c) => c.commands.length);
  if (groups.length) parts.push(`Management Commands:\n${commandList(groups)}`);
  const verbs = commands.filter((c) => !groups.includes(c));
  if (verbs.length) parts.push(`Commands:\n${commandList(verbs)}`);
  if (commands.length) parts.push(`Run '${full} COMMAND --help' for more information on a command.\n`);
  return parts.join('\n');
}
