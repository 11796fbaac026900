/**
 * Pull and push progress as Docker's CLI shows the daemon's JSON messages (its jsonmessage.DisplayJSONMessagesStream):
 * on a terminal, one line per layer rewritten in place with its bar; otherwise one line per message, bars left out.
 */
import type { JsonMessage } from '../engine/index.js';

export class ProgressDisplay {
  /** Line of each layer's ID, counted from the first line of the current block. */
  private ids = new Map<string, number>();

  constructor(private readonly write: (text: string) => void, private readonly terminal: boolean) {}

  readonly show = (m: JsonMessage): void => {
    if (m.error) return; // the failure itself is thrown, and printed once as `Error: …`
    if (m.aux && m.status === undefined) return;
    const hasProgress = m.progressDetail !== undefined || m.progress !== undefined;
    let diff = 0;
    if (m.id && hasProgress) {
      let line = this.ids.get(m.id);
      if (line === undefined) {
        line = this.ids.size;
        this.ids.set(m.id, line);
        if (this.terminal) this.write('\n');
      }
      diff = this.ids.size - line;
      if (this.terminal) this.write(`\x1b[${diff}A`);
    } else {
      // A line of its own ends the block of layer lines (pull -a: the next tag's layers start afresh).
      this.ids = new Map();
    }
    this.display(m, hasProgress);
    if (m.id && this.terminal && diff > 0) this.write(`\x1b[${diff}B`);
  };

  private display(m: JsonMessage, hasProgress: boolean): void {
    let endl = '';
    if (this.terminal && hasProgress) {
      this.write('\x1b[2K\r');
      endl = '\r';
    } else if (m.progress) {
      return; // bars only on a terminal
    }
    const id = m.id ? `${m.id}: ` : '';
    if (this.terminal && hasProgress) this.write(`${id}${m.status ?? ''} ${m.progress ?? ''}${endl}`);
    else this.write(`${id}${m.status ?? m.stream ?? ''}${endl}\n`);
  }
}
