/** Log lines as the logs and attach endpoints send them: the streams asked for, each line with its time when asked. */
import { dockerLogTime } from '../../engine/index.js';
import type { Sink } from '../frames.js';

interface LogLine { time: string; stream: 'stdout' | 'stderr'; data: Buffer }

export function logLines(want: { stdout: boolean; stderr: boolean }, timestamps: boolean, out: { stdout: Sink; stderr: Sink }) {
  return (lines: readonly LogLine[]): void => {
    for (const l of lines) {
      if (!want[l.stream]) continue;
      out[l.stream](timestamps ? Buffer.concat([Buffer.from(`${dockerLogTime(l.time)} `), l.data]) : l.data);
    }
  };
}
