import knexFactory, { Knex } from 'knex';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * better-sqlite3 runs every query on the calling thread: on a fleet, one
 * cluster-wide read takes the backend's only event loop for seconds, and
 * every request, webhook and health check waits behind it. The embedded
 * database is a WAL file, which lets other connections read beside the
 * writer, so the reads go to worker threads with connections of their own.
 *
 * Inline so it ships inside the plugin's bundle. Each worker answers one
 * query at a time; `query_only` makes a write sent here fail rather than
 * bypass the writer's transactions.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename, { fileMustExist: true });
db.pragma('query_only = ON');
db.pragma('busy_timeout = 5000');
const statements = new Map();
parentPort.on('message', ({ id, sql, bindings }) => {
  try {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      if (!statement.reader) throw new Error('not a read: the SQLite reader threads only read');
      statements.set(sql, statement);
      if (statements.size > 500) statements.delete(statements.keys().next().value);
    }
    parentPort.postMessage({ id, rows: statement.all(bindings) });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

/** Old-generation heap of one reader thread. */
const READER_HEAP_MIB = 64;

type Reply =
  | { id: number; rows: unknown[] }
  | { id: number; error: { message: string; code?: string } };

/** One worker thread and its connection, as knex's pool holds it. */
class WorkerConnection {
  private readonly pending = new Map<
    number,
    { resolve(rows: unknown[]): void; reject(error: Error): void }
  >();
  private nextId = 0;
  alive = true;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (!waiter) return;
      if ('rows' in reply) waiter.resolve(reply.rows);
      else {
        waiter.reject(
          Object.assign(new Error(reply.error.message), {
            code: reply.error.code,
          }),
        );
      }
    });
    const fail = (error: Error) => {
      this.alive = false;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', code =>
      fail(new Error(`SQLite reader thread exited (${code})`)),
    );
    // A reader left open must not keep a process (or a test run) alive.
    worker.unref();
  }

  static open(filename: string, driver: string): WorkerConnection {
    return new WorkerConnection(
      new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { filename, driver },
        // Without a cap of its own a worker may grow to the backend's
        // (384 MiB in a 512 MiB pod) before V8 collects the rows it
        // allocates and drops; the rows of the largest read are a few MiB.
        resourceLimits: { maxOldGenerationSizeMb: READER_HEAP_MIB },
      }),
    );
  }

  /** What knex's better-sqlite3 client calls: a statement that reads. */
  prepare(sql: string) {
    return {
      reader: true,
      safeIntegers: () => {},
      all: (bindings: unknown[]) => this.all(sql, bindings),
    };
  }

  private all(sql: string, bindings: unknown[]): Promise<unknown[]> {
    if (!this.alive) {
      return Promise.reject(new Error('SQLite reader thread is gone'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, sql, bindings });
    });
  }

  async close() {
    this.alive = false;
    await this.worker.terminate();
  }
}

/**
 * A knex for reads beside `db`, when `db` is a SQLite file: its queries run
 * on `threads` worker threads (a pool of one connection each). Anything else
 * (PostgreSQL, whose driver is asynchronous anyway; an in-memory SQLite,
 * which no other connection can open) reads through `db` itself.
 *
 * Only reads outside a transaction may use it: it sees what is committed,
 * as a read through `db` outside a transaction does.
 */
export function readerFor(db: Knex, options: { threads?: number } = {}): Knex {
  const client = db.client as Knex.Client & {
    connectionSettings?: { filename?: string };
    config: Knex.Config;
  };
  const filename = client.connectionSettings?.filename;
  if (
    options.threads === 0 ||
    client.config.client !== 'better-sqlite3' ||
    !filename ||
    filename === ':memory:' ||
    filename.startsWith('file::memory:')
  ) {
    return db;
  }
  // The driver knex itself loads, wherever the install put it.
  const driver = createRequire(require.resolve('knex')).resolve(
    'better-sqlite3',
  );
  const Base = client.constructor as unknown as new (
    config: Knex.Config,
  ) => Knex.Client;
  class WorkerClient extends Base {
    async acquireRawConnection() {
      return WorkerConnection.open(filename!, driver);
    }
    async destroyRawConnection(connection: WorkerConnection) {
      await connection.close();
    }
    async validateConnection(connection: WorkerConnection) {
      return connection.alive;
    }
  }
  return knexFactory({
    client: WorkerClient as unknown as typeof Knex.Client,
    connection: { filename },
    useNullAsDefault: true,
    pool: { min: 0, max: options.threads ?? 2 },
  });
}
