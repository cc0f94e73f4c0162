// Wraps an `influx` client as the sink of the buffered writer: makes sure the database exists
// (creating it when the user allows), and turns the server's answers into errors a person can
// act on. Authentication failures and a missing database hold the backlog (they are fixed by a
// person, after which nothing must have been lost); only data the server refuses is dropped.
import { InfluxDB, IPoint, IWriteOptions } from 'influx';
import { isTransientInfluxError, PointSink } from './buffered-writer';

export interface InfluxConnectionOptions {
  host: string;
  port: number;
  protocol: 'http' | 'https';
  database: string;
  username?: string;
  password?: string;
  createDatabase: boolean;
  requestTimeoutMs?: number;
}

export class InfluxSetupError extends Error {
  constructor(message: string, readonly holdBacklog: boolean) {
    super(message);
    this.name = 'InfluxSetupError';
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { res?: { statusCode?: number } })?.res?.statusCode;
}

export function explainInfluxError(err: unknown, database: string): Error {
  const status = statusOf(err);
  const text = err instanceof Error ? err.message : String(err);
  if (status === 401 || status === 403) {
    return new InfluxSetupError(`InfluxDB refused the username/password (${status}): check the credentials of the InfluxDB config node`, true);
  }
  if (status === 404 || /database not found/i.test(text)) {
    return new InfluxSetupError(`database "${database}" does not exist; create it, or tick "create database" in the InfluxDB config node`, true);
  }
  return err instanceof Error ? err : new Error(text);
}

/** A sink for BufferedInfluxWriter, plus the classifier that goes with it. */
export function createInfluxSink(opts: InfluxConnectionOptions): { client: InfluxDB; sink: PointSink; isTransient: (err: unknown) => boolean } {
  const client = new InfluxDB({
    host: opts.host,
    port: opts.port,
    protocol: opts.protocol,
    database: opts.database,
    username: opts.username || undefined,
    password: opts.password || undefined,
    // Retries and backoff belong to the buffered writer, which keeps the points meanwhile.
    pool: { maxRetries: 0, requestTimeout: opts.requestTimeoutMs ?? 15000 },
  });
  let ready = false;
  async function ensureDatabase(): Promise<void> {
    if (ready) return;
    let names: string[];
    try {
      names = await client.getDatabaseNames();
    } catch (err) {
      throw explainInfluxError(err, opts.database);
    }
    if (!names.includes(opts.database)) {
      if (!opts.createDatabase) throw explainInfluxError(new Error('database not found'), opts.database);
      try {
        await client.createDatabase(opts.database);
      } catch (err) {
        throw explainInfluxError(err, opts.database);
      }
    }
    ready = true;
  }
  const sink: PointSink = {
    async writePoints(points: IPoint[], options?: IWriteOptions) {
      await ensureDatabase();
      try {
        await client.writePoints(points, options);
      } catch (err) {
        const explained = explainInfluxError(err, opts.database);
        if (explained instanceof InfluxSetupError) ready = false;
        throw explained;
      }
    },
  };
  const isTransient = (err: unknown) => (err instanceof InfluxSetupError && err.holdBacklog) || isTransientInfluxError(err);
  return { client, sink, isTransient };
}
