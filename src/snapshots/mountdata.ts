/**
 * Paths inside mount options. The kernel splits options at `,` and overlay's lowerdir at `:`, so a path
 * holding either (a store root may) is written with a backslash before it, as overlayfs reads it.
 */

export const escapePath = (path: string): string => path.replace(/[\\,:]/g, '\\$&');

export const unescapePath = (s: string): string => s.replace(/\\(.)/g, '$1');

/** Split at every `sep` that no backslash escapes; the parts stay escaped. */
export function splitEscaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) cur += s[i++]! + s[i]!;
    else if (s[i] === sep) { parts.push(cur); cur = ''; }
    else cur += s[i]!;
  }
  parts.push(cur);
  return parts;
}

/** The value of option `key=` in a mount's options, or undefined. */
export const optionValue = (options: string[], key: string): string | undefined =>
  options.find((o) => o.startsWith(`${key}=`))?.slice(key.length + 1);

/** An overlay mount's directories, unescaped; lower newest first. */
export interface OverlayDirs {
  lower: string[];
  upper: string | undefined;
  work: string | undefined;
}

export function overlayDirs(options: string[]): OverlayDirs {
  const lower = optionValue(options, 'lowerdir');
  const upper = optionValue(options, 'upperdir');
  const work = optionValue(options, 'workdir');
  return {
    lower: lower === undefined ? [] : splitEscaped(lower, ':').map(unescapePath),
    upper: upper === undefined ? undefined : unescapePath(upper),
    work: work === undefined ? undefined : unescapePath(work),
  };
}
