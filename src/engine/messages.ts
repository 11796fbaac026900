/**
 * Progress of long work (pull, push, build), as the Docker Engine API streams it (its "JSONMessage"): the
 * engine emits these, the CLI renders them as Docker's CLI does (bars on a terminal, lines otherwise), and the
 * API service writes them to the client one JSON object per line, unchanged.
 */
export interface ProgressDetail { current?: number; total?: number }

export interface JsonMessage {
  /** A layer's short ID or a tag: the line a terminal rewrites in place. */
  id?: string;
  /** `Pulling fs layer`, `Downloading`, `Pushed`, `Digest: sha256:…` */
  status?: string;
  progressDetail?: ProgressDetail;
  /** The rendered bar (`[=====>     ] 12.3MB/99.9MB`), for clients that print it as is. */
  progress?: string;
  /** Build output: a step line or a RUN's output, printed verbatim. */
  stream?: string;
  /** Build results (`{ ID: 'sha256:…' }`) and push results (`{ Tag, Digest, Size }`). */
  aux?: Record<string, unknown>;
  /** Set on the last message of work that failed. */
  error?: string;
  errorDetail?: { code?: number; message: string };
}

/** Where long work reports to. The engine never prints. */
export type Progress = (message: JsonMessage) => void;
