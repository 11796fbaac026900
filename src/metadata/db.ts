/**
 * The one SQLite database of a store (strata.db): WAL so readers never block the writer, a busy timeout
 * so concurrent `strata` processes queue instead of failing, foreign keys so a layer in use cannot be
 * deleted, and numbered migrations recorded in user_version.
 *
 * SQLite is Bun's own (bun:sqlite). DB is the part of better-sqlite3's API strata uses, so the queries in
 * ./index.ts read as they always did; this module is the only one that knows which SQLite it is on.
 */
import { constants, Database, type SQLQueryBindings } from 'bun:sqlite';
import { START_IN_FILE } from './records.js';

type Params = SQLQueryBindings[];

/** A prepared statement; `get` answers undefined (not bun:sqlite's null) when there is no row. */
export interface Statement {
  get(...params: Params): unknown;
  all(...params: Params): unknown[];
  run(...params: Params): void;
}

export interface DB {
  prepare(sql: string): Statement;
  /** fn wrapped in a transaction; `.immediate()` runs it with BEGIN IMMEDIATE (nested calls use savepoints). */
  transaction<T>(fn: () => T): { immediate(): T };
  exec(sql: string): void;
  close(): void;
}

/** A PRAGMA's single value, as better-sqlite3's `pragma(…, { simple: true })`. */
function pragmaValue(db: Database, name: string): unknown {
  const row = db.query(`PRAGMA ${name}`).get() as Record<string, unknown> | null;
  return row && Object.values(row)[0];
}

function adapt(db: Database): DB {
  // Each statement is compiled once per handle and kept for the handle's life: a query run again (a
  // lookup per layer of a chain, per tag of an image) is neither parsed nor planned again.
  const statements = new Map<string, { statement: Statement; compiled: ReturnType<Database['prepare']> }>();
  return {
    prepare(sql) {
      let cached = statements.get(sql);
      if (!cached) {
        const q = db.prepare(sql);
        cached = {
          compiled: q,
          statement: {
            get: (...params) => q.get(...params) ?? undefined,
            all: (...params) => q.all(...params),
            run: (...params) => void q.run(...params),
          },
        };
        statements.set(sql, cached);
      }
      return cached.statement;
    },
    // bun:sqlite compiles BEGIN IMMEDIATE, COMMIT and ROLLBACK once per handle too.
    transaction: (fn) => ({ immediate: () => db.transaction(fn).immediate() }),
    exec: (sql) => db.exec(sql),
    close: () => {
      for (const { compiled } of statements.values()) compiled.finalize();
      statements.clear();
      db.close();
    },
  };
}

const MIGRATIONS: string[] = [
  `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE layers (
     chain_id TEXT PRIMARY KEY,
     diff_id TEXT NOT NULL,
     parent TEXT REFERENCES layers(chain_id),
     snapshot TEXT NOT NULL UNIQUE,
     size INTEGER NOT NULL,
     tar_size INTEGER NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX layers_parent ON layers(parent);
   CREATE TABLE images (
     id TEXT PRIMARY KEY,
     parent TEXT,
     top_layer TEXT REFERENCES layers(chain_id),
     size INTEGER NOT NULL,
     created TEXT NOT NULL,
     added_at TEXT NOT NULL
   );
   CREATE INDEX images_parent ON images(parent);
   CREATE TABLE image_layers (
     image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
     idx INTEGER NOT NULL,
     chain_id TEXT NOT NULL REFERENCES layers(chain_id),
     PRIMARY KEY (image_id, idx)
   );
   CREATE INDEX image_layers_chain ON image_layers(chain_id);
   CREATE TABLE tags (
     name TEXT PRIMARY KEY,
     image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
     added_at TEXT NOT NULL
   );
   CREATE INDEX tags_image ON tags(image_id);
   CREATE TABLE repo_digests (
     name TEXT NOT NULL,
     image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
     PRIMARY KEY (name, image_id)
   );
   CREATE TABLE containers (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     image_id TEXT NOT NULL,
     image_ref TEXT NOT NULL,
     top_layer TEXT REFERENCES layers(chain_id),
     snapshot TEXT NOT NULL UNIQUE,
     config TEXT NOT NULL,
     created TEXT NOT NULL,
     state TEXT NOT NULL,
     size_rw INTEGER
   );
   CREATE INDEX containers_top ON containers(top_layer);
   CREATE TABLE pending (
     snapshot TEXT PRIMARY KEY,
     pid INTEGER NOT NULL,
     pid_start TEXT NOT NULL,
     started_at TEXT NOT NULL
   );`,
  // Pending work names the operation lock (engine/lock.ts) of the process doing it, not its pid. Rows
  // from before name no lock file, so the next sweep treats them as a dead process's.
  `CREATE TABLE pending_by_lock (
     snapshot TEXT PRIMARY KEY,
     lock TEXT NOT NULL,
     started_at TEXT NOT NULL
   );
   INSERT INTO pending_by_lock (snapshot, lock, started_at) SELECT snapshot, 'pid-' || pid, started_at FROM pending;
   DROP TABLE pending;
   ALTER TABLE pending_by_lock RENAME TO pending;
   CREATE INDEX pending_lock ON pending(lock);`,
  // Docker's LastTagTime belongs to the image: tag, import and commit set it, load does not, and it stays
  // when the tag goes. Stores from before take their newest tag's time.
  `ALTER TABLE images ADD COLUMN last_tag_time TEXT;
   UPDATE images SET last_tag_time = (SELECT max(added_at) FROM tags WHERE tags.image_id = images.id);`,
  // Volumes (src/volumes/), and what each container mounts: its plan, made at create, and one row per volume
  // it uses, which is the volume's reference count (a volume a container uses cannot be deleted).
  `CREATE TABLE volumes (
     name TEXT PRIMARY KEY,
     driver TEXT NOT NULL,
     options TEXT,
     labels TEXT,
     anonymous INTEGER NOT NULL,
     created TEXT NOT NULL
   );
   CREATE TABLE container_mounts (
     container_id TEXT PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,
     plan TEXT NOT NULL
   );
   CREATE TABLE volume_users (
     container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
     volume TEXT NOT NULL REFERENCES volumes(name),
     PRIMARY KEY (container_id, volume)
   );
   CREATE INDEX volume_users_volume ON volume_users(volume);`,
  // Registry blobs of layers (metadata/blobs.ts): diffID → compressed blob, per repository it is in.
  `CREATE TABLE layer_blobs (
     diff_id TEXT NOT NULL,
     repository TEXT NOT NULL,
     digest TEXT NOT NULL,
     media_type TEXT NOT NULL,
     size INTEGER NOT NULL,
     PRIMARY KEY (diff_id, repository, digest)
   );
   CREATE INDEX layer_blobs_digest ON layer_blobs(digest);`,
  // A container's start record (engine/processes.ts) moves from containers/<id>/state.json into its row, so
  // `ps -a` reads no file per container. Containers from before keep theirs in the file, which is read then.
  `ALTER TABLE containers ADD COLUMN start TEXT;
   UPDATE containers SET start = '${START_IN_FILE}';`,
];

export function openDatabase(path: string): DB {
  // strict: named parameters bind from plain keys ({ c } for @c), as in better-sqlite3.
  const db = new Database(path, { create: true, readwrite: true, strict: true });
  // The WAL and its index (strata.db-wal, -shm) stay when the last connection closes, emptied by the
  // checkpoint as before, rather than being deleted and made again by every command: a command then
  // neither creates, sizes and unlinks two files nor, on its first write, fsyncs the store's directory
  // for a WAL file that is new. What is durable, and when, is unchanged (the close's checkpoint still
  // syncs the WAL and the database). With a journal_size_limit set, that close also truncates the WAL
  // to nothing, so the store takes no more room between commands than it did.
  db.fileControl(constants.SQLITE_FCNTL_PERSIST_WAL, 1);
  // In one call (each is a round trip through Bun's binding at every command's start). busy_timeout
  // first, so that switching to WAL already waits for another process's lock instead of failing.
  db.exec('PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = 0');
  migrate(db);
  return adapt(db);
}

function migrate(db: Database): void {
  const current = pragmaValue(db, 'user_version') as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`store schema version ${current} is newer than this strata understands (${MIGRATIONS.length})`);
  }
  if (current === MIGRATIONS.length) return;
  // IMMEDIATE takes the write lock first, so two processes opening a new store migrate once.
  db.transaction(() => {
    const now = pragmaValue(db, 'user_version') as number;
    for (let v = now; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
