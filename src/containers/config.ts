/** A container's configuration: the image's defaults overridden by what `create` was told. */
import type { ContainerConfig } from '../images/config.js';

export interface CreateOverrides {
  cmd?: string[];
  /** A string (the CLI's --entrypoint, "" clears it) or the API's array (empty clears it). */
  entrypoint?: string | string[];
  env?: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  labels?: Record<string, string>;
  tty?: boolean;
  interactive?: boolean;
  /**
   * Which streams the client attaches (the API's AttachStdin/Stdout/Stderr and StdinOnce, kept as the client
   * sent them, as Docker keeps them: `run -d` attaches none). Without it, a foreground `run`'s.
   */
  attach?: { stdin: boolean; stdout: boolean; stderr: boolean; stdinOnce: boolean };
}

export function containerConfig(image: ContainerConfig, imageRef: string, id: string, o: CreateOverrides): ContainerConfig {
  const env = [...(image.Env ?? [])];
  for (const e of o.env ?? []) {
    const key = e.split('=')[0]!;
    const i = env.findIndex((x) => x.split('=')[0] === key);
    if (i >= 0) env[i] = e; else env.push(e);
  }
  const given = typeof o.entrypoint === 'string' ? [o.entrypoint] : o.entrypoint;
  const entrypoint = given === undefined ? image.Entrypoint : given.length === 0 || (given.length === 1 && given[0] === '') ? null : given;
  // As Docker: a new entrypoint drops the image's CMD unless a command is given.
  const cmd = o.cmd && o.cmd.length > 0 ? o.cmd : o.entrypoint !== undefined ? null : image.Cmd;
  return {
    ...image,
    Hostname: o.hostname ?? id.slice(0, 12),
    Tty: o.tty ?? false,
    OpenStdin: o.interactive ?? false,
    AttachStdin: o.attach?.stdin ?? o.interactive ?? false,
    AttachStdout: o.attach?.stdout ?? true,
    AttachStderr: o.attach?.stderr ?? true,
    StdinOnce: o.attach?.stdinOnce ?? o.interactive ?? false,
    Env: env.length ? env : null,
    Cmd: cmd,
    Entrypoint: entrypoint,
    Image: imageRef,
    WorkingDir: o.workdir ?? image.WorkingDir,
    User: o.user ?? image.User,
    Labels: { ...(image.Labels ?? {}), ...(o.labels ?? {}) },
  };
}

/** The process a container runs: entrypoint + cmd, split into Path and Args as Docker's inspect shows. */
export function commandOf(c: ContainerConfig): { path: string; args: string[] } {
  const argv = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  return { path: argv[0] ?? '', args: argv.slice(1) };
}
