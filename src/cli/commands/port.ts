/**
 * `port`: a container's published ports. strata has no bridge network (README), so no container publishes
 * one: the list is empty, and a port asked for is not published, both said as Docker's CLI says them.
 */
import type { Command } from 'commander';
import { StrataError } from '../../engine/index.js';
import type { WithEngine } from '../context.js';
import { UsageError } from '../usage.js';

/** Go's strconv.ParseUint(s, 10, 16), failing in its words (which Docker's CLI prints bare). */
function portNumber(s: string): number {
  if (!/^\d+$/.test(s)) throw new UsageError(`strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`, 1);
  const n = Number(s);
  if (n > 0xffff) throw new UsageError(`strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`, 1);
  return n;
}

/**
 * `PORT[-END][/PROTO]` as Docker's CLI reads it: the protocol is tcp unless one follows the slash, and
 * the port (or range) must be numbers; it is named back as the user gave it.
 */
function privatePort(spec: string): string {
  const slash = spec.indexOf('/');
  const [port, proto] = slash >= 0 && slash < spec.length - 1 ? [spec.slice(0, slash), spec.slice(slash + 1)] : [spec, 'tcp'];
  if (port !== '') {
    const [first = '', second] = port.split('-');
    const start = portNumber(first);
    if (second !== undefined && portNumber(second) < start) throw new UsageError(`Invalid range specified for the Port: ${port}`, 1);
  }
  return `${port}/${proto}`;
}

export function registerPortCommand(program: Command, container: Command, withEngine: WithEngine): void {
  for (const cmd of [program.command('port'), container.command('port')]) {
    cmd.description('List port mappings or a specific mapping for the container')
      .argument('<container>')
      .argument('[private-port]')
      .action(async (ref: string, spec: string | undefined) => withEngine((e) => {
        e.containers.resolve(ref);
        if (spec === undefined) return;
        throw new StrataError(`No public port '${privatePort(spec)}' published for ${ref}`);
      }));
  }
}
