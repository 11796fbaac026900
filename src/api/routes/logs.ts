/** Log lines as the logs and attach endpoints send them: the streams asked for, each line with its time and details when asked. */
import { dockerLogTime } from '../../engine/index.js';
import type { Sink } from '../frames.js';

interface LogLine { time: string; stream: 'stdout' | 'stderr'; data: Buffer }

/**
 * `timestamps`: each line after its time. `details`: after the log's extra attributes and a space, as Docker's
 * daemon adds them; strata's log records none (Docker's come from --log-opt labels/env), so a space alone.
 */
export function logLines(want: { stdout: boolean; stderr: boolean }, show: { timestamps: boolean; details: boolean }, out: { stdout: Sink; stderr: Sink }) {
  return (lines: readonly LogLine[]): void => {
    for (const l of lines) {
      if (!want[l.stream]) continue;
      const prefix = `${show.timestamps ? `${dockerLogTime(l.time)} ` : ''}${show.details ? ' ' : ''}`;
      out[l.stream](prefix ? Buffer.concat([Buffer.from(prefix), l.data]) : l.data);
    }
  };
}
