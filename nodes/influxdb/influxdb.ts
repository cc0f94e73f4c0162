// Config node `llmops-influxdb`: owns one batched, outage-proof writer per database connection
// and shares it with every node that stores telemetry or audit events. Users register to see
// the connection state on their own status.
import * as os from 'os';
import * as path from 'path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { IPoint } from 'influx';
import { BufferedInfluxWriter, WriterStats } from '../../core/influx/buffered-writer';
import { createInfluxSink } from '../../core/influx/sink';
import { messageOf } from '../shared/status';

interface InfluxConfigDef extends NodeDef {
  host: string;
  port: string | number;
  protocol: 'http' | 'https';
  database: string;
  retentionPolicy: string;
  precision: 'n' | 'u' | 'ms' | 's';
  batchSize: string | number;
  flushInterval: string | number;
  maxBuffered: string | number;
  spill: boolean;
  createDatabase: boolean;
}

interface InfluxCredentials {
  username?: string;
  password?: string;
}

export interface InfluxConfigNode extends Node<InfluxCredentials> {
  database: string;
  /** Queues points for writing; returns how many were accepted (the rest were dropped and counted). */
  writePoints(points: IPoint[]): number;
  stats(): WriterStats;
  /** Registers a listener for writer state changes; returns the function that removes it. */
  onState(listener: (s: WriterStats) => void): () => void;
  /** Runs an InfluxQL query (for warm starts and tests). */
  query<T = unknown>(influxql: string): Promise<T[]>;
}

function int(v: unknown, fallback: number, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.round(n)));
}

export default function register(RED: NodeAPI) {
  function InfluxConfig(this: InfluxConfigNode, def: InfluxConfigDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    node.database = def.database || 'llmops';
    const creds = node.credentials || {};
    const { client, sink, isTransient } = createInfluxSink({
      host: def.host || '127.0.0.1',
      port: int(def.port, 8086, 1, 65535),
      protocol: def.protocol === 'https' ? 'https' : 'http',
      database: node.database,
      username: creds.username,
      password: creds.password,
      createDatabase: def.createDatabase !== false,
    });
    const batchSize = int(def.batchSize, 5000, 1, 100000);
    // Node-RED always has a user directory; embedded runtimes without one spill to the temp folder.
    const spillDir = path.join(RED.settings.userDir || path.join(os.tmpdir(), 'node-red-llmops'), 'llmops', 'influx-spill');
    const writer = new BufferedInfluxWriter({
      sink,
      isTransient,
      database: node.database,
      retentionPolicy: def.retentionPolicy || undefined,
      precision: def.precision || 'ms',
      batchSize,
      flushIntervalMs: int(def.flushInterval, 1000, 10, 60000),
      maxBuffered: Math.max(batchSize, int(def.maxBuffered, 1000000, 1, 100000000)),
      spillFile: def.spill ? path.join(spillDir, node.id.replace(/[^A-Za-z0-9_.-]/g, '_') + '.jsonl') : undefined,
      backoff: { initialMs: 250, maxMs: 15000 },
      onRejected: (err, count) => node.error(RED._('influxdb.errors.rejected', { count, error: messageOf(err) })),
    });
    let lastLogged: string | undefined;
    writer.on('state', (s: WriterStats) => {
      // Each outage is logged once, also when the next one fails with the same words.
      if (s.state === 'connected' && lastLogged !== undefined) {
        lastLogged = undefined;
        node.log(RED._('influxdb.log.recovered'));
      }
      if (s.state === 'buffering' && s.lastError !== lastLogged) {
        lastLogged = s.lastError;
        node.warn(RED._('influxdb.errors.outage', { error: s.lastError ?? '' }));
      }
      if (s.state === 'dropping') node.error(RED._('influxdb.errors.dropping', { dropped: s.dropped }));
    });

    node.writePoints = (points) => writer.write(points);
    node.stats = () => writer.getStats();
    node.onState = (listener) => {
      writer.on('state', listener);
      return () => writer.off('state', listener);
    };
    node.query = <T>(q: string) => client.query(q) as unknown as Promise<T[]>;

    node.on('close', (_removed: boolean, done: () => void) => {
      // Node-RED waits 15 s for close handlers: leave a margin.
      writer
        .close(Date.now() + 12000)
        .then((r) => {
          if (r.lost > 0) node.error(RED._('influxdb.errors.lost-on-close', { count: r.lost }));
          else if (r.spilled > 0) node.log(RED._('influxdb.log.spilled', { count: r.spilled }));
        })
        .catch((err) => node.error(messageOf(err)))
        .finally(done);
    });
  }

  RED.nodes.registerType('llmops-influxdb', InfluxConfig as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });
}
