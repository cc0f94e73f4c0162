// What every stand-in LLM server shares: an HTTP server on a free loopback port, the sockets it
// must destroy on close (a hung stream would keep close() waiting), a queue of scripted
// behaviours for the next requests, and the log line that says it is a stand-in.
import * as http from 'http';
import type { AddressInfo, Socket } from 'net';

export abstract class StandInHttpServer<Behaviour> {
  readonly log: string[] = [];
  protected readonly queue: Behaviour[] = [];
  private readonly sockets = new Set<Socket>();
  protected server!: http.Server;
  protected port = 0;

  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
  /** The address clients are given, named in the log line. */
  protected abstract get address(): string;

  /** Queues behaviours for the next requests, in order. */
  script(...behaviours: Behaviour[]): this {
    this.queue.push(...behaviours);
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  protected listen(what: string): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        this.log.push(`stand-in ${what} (no model) listening on ${this.address}`);
        resolve();
      });
    });
  }
}
