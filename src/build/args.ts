/**
 * Build arguments: the values given (`--build-arg`), the ARGs declared before the first FROM (usable in FROM
 * lines, and in a stage that declares them again), and which of the given ones some ARG consumed.
 */
export class BuildArgs {
  private readonly meta = new Map<string, string | undefined>();
  private readonly consumed = new Set<string>();

  constructor(private readonly given: Readonly<Record<string, string>>) {}

  /** Declare `ARG name[=default]`: the value given for it wins over the default (inside a stage, a meta ARG's value over nothing). */
  declare(name: string, fallback: string | undefined, inStage: boolean): string | undefined {
    if (Object.hasOwn(this.given, name)) {
      this.consumed.add(name);
      return this.given[name];
    }
    if (inStage && fallback === undefined) return this.meta.get(name);
    return fallback;
  }

  declareMeta(name: string, fallback: string | undefined): void {
    this.meta.set(name, this.declare(name, fallback, false));
  }

  /** A meta ARG's value, for FROM lines. */
  metaValue(name: string): string | undefined {
    return this.meta.get(name);
  }

  /** The given build args no ARG declared, sorted, for the classic builder's warning. */
  unused(): string[] {
    return Object.keys(this.given).filter((k) => !this.consumed.has(k)).sort();
  }
}
