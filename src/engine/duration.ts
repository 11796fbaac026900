/** Durations in Docker's words (docker/go-units HumanDuration): ps's STATUS and the CLI's CREATED column. */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * go-units HumanDuration, for a duration in milliseconds: "About a minute", "3 weeks"... Hours are
 * rounded half up; days, weeks (7 days), months (30 days) and years (365 days) are whole ones, cut down.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / HOUR + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / (24 * 7))} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / (24 * 30))} months`;
  return `${Math.trunc(Math.trunc(ms / HOUR) / (24 * 365))} years`;
}

