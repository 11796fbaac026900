/**
 * The one SQLite database of a store (strata.db): WAL so readers never block the writer, a busy timeout
 * so concurrent `strata` processes queue instead of failing, foreign keys so a layer in use cannot be
 * deleted, and numbered migrations recorded in user_version.
 */
import Database from 'better-sqlite3';
import { sqliteBinding } from '../native/index.js';

type DB = Database.Database;

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
];

export function openDatabase(path: string): DB {
  // @types/better-sqlite3 types nativeBinding as a path; the package also takes the loaded module.
  const db = new Database(path, { timeout: 30_000, nativeBinding: sqliteBinding() as unknown as string });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: DB): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`store schema version ${current} is newer than this strata understands (${MIGRATIONS.length})`);
  }
  if (current === MIGRATIONS.length) return;
  // IMMEDIATE takes the write lock first, so two processes opening a new store migrate once.
  db.transaction(() => {
    const now = db.pragma('user_version', { simple: true }) as number;
    for (let v = now; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
