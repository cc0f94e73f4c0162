// One OPC UA client session per endpoint, shared by every node that uses it, behind an explicit
// state machine:
//
//   disconnected ──open()──▶ connecting ──▶ connected ──(link lost)──▶ reconnecting ──▶ connected …
//        ▲                        │                                        │
//        └────────── close() ─────┴────────────────────────────────────────┘
//
// node-opcua can re-establish a secure channel by itself, but after the server PROCESS restarts
// its session and subscriptions are gone and its own recovery does not always bring them back.
// So this manager does recovery itself: on any sign of a lost link it drops the client, builds a
// new one with backoff, opens a new session and re-creates every registered subscription with its
// monitored items. Users only ever see state events and values.
//
// node-opcua is required lazily (inside `open()`), because loading it takes about a second.
import { EventEmitter } from 'events';
import { BMS_NAMESPACE_URI, resolveNodeIdText } from './names';

export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';
export type SecurityMode = 'None' | 'Sign' | 'SignAndEncrypt';
export type SecurityPolicyName = 'None' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export interface SessionOptions {
  endpointUrl: string;
  securityMode?: SecurityMode;
  securityPolicy?: SecurityPolicyName;
  /** Username/password identity; anonymous when no username. */
  username?: string;
  password?: string;
  /** Client PKI folder (node-opcua-pki layout); the client's own certificate is created there. */
  pkiDir: string;
  /** Accept a server certificate not in `<pkiDir>/trusted` (default false: it goes to `rejected/`). */
  trustUnknownServerCertificate?: boolean;
  /** Namespace of bare node ids such as `CDU1.Flow` (default: the twin's BMS namespace). */
  defaultNamespaceUri?: string;
  backoff?: Backoff;
  /** Limit for one connection attempt (connect + session + subscriptions). */
  attemptTimeoutMs?: number;
  /** Session keep-alive / publish health: how long without a sign of life counts as lost. */
  keepAliveMs?: number;
  applicationName?: string;
}

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Why the last attempt failed or the link was lost. */
  error?: string;
  /** Failed attempts since the last connection. */
  attempt: number;
  /** When the state began (ms since the epoch). */
  since: number;
}

export interface ItemValue {
  /** The id as the user wrote it. */
  id: string;
  value: unknown;
  /** OPC UA status name, e.g. `Good`, `BadOutOfRange`. */
  status: string;
  good: boolean;
  sourceTimestamp?: Date;
}

export interface SubscriptionOptions {
  publishingIntervalMs?: number;
  samplingIntervalMs?: number;
  queueSize?: number;
}

export interface SubscriptionHandle {
  readonly items: readonly string[];
  close(): Promise<void>;
}

/** Node ids that could not be monitored (unknown id, bad namespace…), reported per (re)creation. */
export type ItemErrors = Array<{ id: string; error: string }>;

interface Registered {
  key: number;
  items: string[];
  opts: Required<SubscriptionOptions>;
  onValues: (values: ItemValue[]) => void;
  onItemErrors?: (errors: ItemErrors) => void;
  live?: { subscription: any };
}

const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 15000 };

/** Why a read or write found no session to use, in words a user can act on. */
const NO_SESSION: Record<ConnectionState | 'closing' | 'lost', string> = {
  connecting: 'OPC UA session is still connecting; nothing was read or written',
  reconnecting: 'OPC UA session is reconnecting; nothing was read or written',
  disconnected: 'OPC UA session is closed',
  connected: 'OPC UA session is closed',
  closing: 'OPC UA session is closing (redeploy or shutdown); nothing was read or written',
  lost: 'OPC UA session was lost; reconnecting',
};

/** A read or write with no session to use: `state` says why (connecting, reconnecting, closing…). */
export class NotConnectedError extends Error {
  readonly code = 'ERR_NOT_CONNECTED';
  constructor(readonly state: ConnectionState | 'closing' | 'lost') {
    super(NO_SESSION[state]);
    this.name = 'NotConnectedError';
  }
}

/** The session closed or was lost while a read or write was on its way: it may or may not have arrived. */
export class SessionClosedError extends Error {
  readonly code = 'ERR_SESSION_CLOSED';
  constructor(operation: 'read' | 'write', closing: boolean, cause: unknown) {
    super(`OPC UA session ${closing ? 'closed (redeploy or shutdown)' : 'lost'} during the ${operation}${closing ? '' : '; reconnecting, the next one is retried on the new session'} (${messageOf(cause)})`);
    this.name = 'SessionClosedError';
  }
}

export class OpcuaSession extends EventEmitter {
  private current: ConnectionState = 'disconnected';
  private stateSince = Date.now();
  private lastError?: string;
  private attempt = 0;
  private opened = false;
  private closing = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private client: any;
  private session: any;
  private namespaces: string[] = [];
  private readonly registry = new Map<number, Registered>();
  private nextKey = 1;
  private readonly dataTypes = new Map<string, number>();
  private ua: any;
  /** Settles the current connection's "lost" promise. */
  private signalLost?: (reason: unknown) => void;

  constructor(readonly opts: SessionOptions) {
    super();
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** The current state with its reason and start time. */
  get status(): StateChange {
    return { state: this.current, previous: this.current, error: this.lastError, attempt: this.attempt, since: this.stateSince };
  }

  /** Starts connecting (and keeps reconnecting) until `close()`. */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    this.closing = false;
    this.loop = this.run();
  }

  /**
   * Monitors `items` (node ids) and calls `onValues` with every batch of changes. The subscription
   * lives across reconnects: it is created now if connected, and re-created on every new session.
   */
  subscribe(items: string[], opts: SubscriptionOptions, onValues: (values: ItemValue[]) => void, onItemErrors?: (errors: ItemErrors) => void): SubscriptionHandle {
    const reg: Registered = {
      key: this.nextKey++,
      items: [...items],
      opts: { publishingIntervalMs: opts.publishingIntervalMs ?? 1000, samplingIntervalMs: opts.samplingIntervalMs ?? 500, queueSize: opts.queueSize ?? 10 },
      onValues,
      onItemErrors,
    };
    this.registry.set(reg.key, reg);
    if (this.current === 'connected' && this.session) {
      this.createSubscription(reg, this.session).catch((err) => this.linkLost(err));
    }
    return {
      items: reg.items,
      close: async () => {
        this.registry.delete(reg.key);
        await this.terminate(reg);
      },
    };
  }

  /** Reads the current values of `ids`. */
  async read(ids: string[]): Promise<ItemValue[]> {
    const session = this.requireSession();
    const resolved = ids.map((id) => this.resolve(id));
    const dataValues = await this.onSession<any[]>(session, 'read', () => session.read(resolved.map((nodeId) => ({ nodeId, attributeId: this.ua.AttributeIds.Value }))));
    return dataValues.map((dv: any, i: number) => toItemValue(ids[i], dv));
  }

  /** Writes one value; resolves with the OPC UA status name (`Good`, `BadOutOfRange`, …). */
  async write(id: string, value: number | boolean | string): Promise<string> {
    const session = this.requireSession();
    const nodeId = this.resolve(id);
    const status = await this.onSession(session, 'write', async () => {
      const dataType = await this.dataTypeOf(session, nodeId, value);
      return session.write({ nodeId, attributeId: this.ua.AttributeIds.Value, value: { value: { dataType, value } } });
    });
    return status.name;
  }

  /**
   * Runs a service call on `session`. When it fails because that session went away meanwhile
   * (closed for a redeploy, or the link dropped), the error says so, rather than node-opcua's
   * words about a channel the user never sees.
   */
  private async onSession<T>(session: any, operation: 'read' | 'write', call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (this.closing || this.session !== session) throw new SessionClosedError(operation, this.closing, err);
      throw err;
    }
  }

  /** Writes, then reads the point back, as a controller must before it trusts a setpoint. */
  async writeWithReadback(id: string, value: number | boolean | string): Promise<{ status: string; readBack: ItemValue }> {
    const status = await this.write(id, value);
    const [readBack] = await this.read([id]);
    return { status, readBack };
  }

  /** Ends the session and stops reconnecting; resolves within `timeoutMs` whatever the server does. */
  async close(timeoutMs = 10000): Promise<void> {
    this.closing = true;
    this.opened = false;
    this.wake?.();
    const work = (async () => {
      await this.teardown(Math.max(500, timeoutMs - 500));
      await this.loop?.catch(() => undefined);
    })();
    await Promise.race([work, delay(timeoutMs)]);
    this.loop = undefined;
    this.setState('disconnected');
  }

  /**
   * Creates this client's own certificate now (it is otherwise made on the first connection) and
   * returns its file, so that a server administrator can trust it before anything connects.
   */
  async ensureCertificate(): Promise<string> {
    const ua = this.loadOpcua();
    const client = ua.OPCUAClient.create({
      applicationName: this.opts.applicationName ?? 'node-red-contrib-llmops',
      clientCertificateManager: await this.certificateManager(),
    });
    await client.createDefaultCertificate();
    return client.certificateFile as string;
  }

  private async certificateManager(): Promise<any> {
    const ua = this.loadOpcua();
    const cm = new ua.OPCUACertificateManager({
      rootFolder: this.opts.pkiDir,
      automaticallyAcceptUnknownCertificate: !!this.opts.trustUnknownServerCertificate,
      disableFileWatchers: true,
    });
    await cm.initialize();
    return cm;
  }

  // ---- the connection loop -------------------------------------------------------------------

  private async run(): Promise<void> {
    const backoff = this.opts.backoff ?? DEFAULT_BACKOFF;
    let everConnected = false;
    while (!this.closing) {
      this.setState(everConnected ? 'reconnecting' : 'connecting');
      let lost: Promise<unknown>;
      try {
        ({ lost } = await withTimeout(this.connectOnce(), this.opts.attemptTimeoutMs ?? 20000, 'connection attempt timed out'));
      } catch (err) {
        if (this.closing) break;
        this.lastError = messageOf(err);
        this.attempt++;
        this.emit('attempt-failed', this.lastError);
        await this.teardown(2000);
        this.setState(everConnected ? 'reconnecting' : 'connecting');
        await this.sleep(Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(this.attempt - 1, 16)));
        continue;
      }
      everConnected = true;
      this.attempt = 0;
      this.lastError = undefined;
      this.setState('connected');
      const reason = await lost;
      if (this.closing) break;
      this.lastError = messageOf(reason);
      this.setState('reconnecting');
      await this.teardown(2000);
    }
  }

  /** Connects, opens a session, re-creates the subscriptions; resolves with a promise that settles when the link is lost. */
  private async connectOnce(): Promise<{ lost: Promise<unknown> }> {
    const ua = this.loadOpcua();
    const o = this.opts;
    const certificateManager = await this.certificateManager();
    let signalLost!: (reason: unknown) => void;
    const lost = new Promise<unknown>((resolve) => (signalLost = resolve));
    this.signalLost = signalLost;
    const client = ua.OPCUAClient.create({
      applicationName: o.applicationName ?? 'node-red-contrib-llmops',
      clientCertificateManager: certificateManager,
      securityMode: ua.MessageSecurityMode[o.securityMode ?? 'None'],
      securityPolicy: ua.SecurityPolicy[o.securityPolicy ?? 'None'],
      endpointMustExist: false,
      keepSessionAlive: true,
      requestedSessionTimeout: Math.max(10000, (o.keepAliveMs ?? 5000) * 6),
      // One try per attempt: the backoff between attempts is ours.
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      transportTimeout: Math.min(o.attemptTimeoutMs ?? 20000, 15000),
    });
    this.client = client;
    // An attempt that timed out may still be running: it must not install its session afterwards.
    const stale = () => {
      if (this.client !== client || this.closing) throw new Error('connection attempt abandoned');
    };
    const onLost = (why: unknown) => signalLost(why ?? new Error('connection lost'));
    client.on('connection_lost', () => onLost(new Error('connection lost')));
    client.on('close', (err?: Error) => onLost(err ?? new Error('connection closed')));
    client.on('backoff', () => onLost(new Error('connection lost')));
    await client.connect(o.endpointUrl);
    const identity = o.username ? { type: ua.UserTokenType.UserName, userName: o.username, password: o.password ?? '' } : { type: ua.UserTokenType.Anonymous };
    stale();
    const session = await client.createSession(identity);
    stale();
    this.session = session;
    session.on('session_closed', () => onLost(new Error('session closed by the server')));
    session.on('keepalive_failure', () => onLost(new Error('keep-alive failed')));
    this.namespaces = await session.readNamespaceArray();
    this.dataTypes.clear();
    for (const reg of this.registry.values()) {
      stale();
      await this.createSubscription(reg, session);
    }
    stale();
    return { lost };
  }

  private async createSubscription(reg: Registered, session: any): Promise<void> {
    const ua = this.ua;
    const ids: string[] = [];
    const nodeIds: string[] = [];
    const errors: ItemErrors = [];
    for (const id of reg.items) {
      try {
        nodeIds.push(this.resolve(id));
        ids.push(id);
      } catch (err) {
        errors.push({ id, error: messageOf(err) });
      }
    }
    const keepAliveCount = 10;
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: reg.opts.publishingIntervalMs,
      requestedMaxKeepAliveCount: keepAliveCount,
      requestedLifetimeCount: keepAliveCount * 6,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    });
    reg.live = { subscription };
    const lost = (why: unknown) => this.linkLost(why);
    subscription.on('terminated', () => {
      if (reg.live?.subscription === subscription && this.registry.has(reg.key)) lost(new Error('subscription terminated'));
    });
    subscription.on('internal_error', (err: Error) => lost(err));
    if (nodeIds.length > 0) {
      const group = await subscription.monitorItems(
        nodeIds.map((nodeId) => ({ nodeId, attributeId: ua.AttributeIds.Value })),
        { samplingInterval: reg.opts.samplingIntervalMs, discardOldest: true, queueSize: reg.opts.queueSize },
        ua.TimestampsToReturn.Both,
      );
      group.monitoredItems.forEach((item: any, i: number) => {
        if (item.statusCode && !item.statusCode.isGood()) errors.push({ id: ids[i], error: item.statusCode.name });
      });
      // Changes arrive one item at a time; hand them on as one batch per publish.
      let batch: ItemValue[] = [];
      group.on('changed', (_item: unknown, dataValue: any, index: number) => {
        if (batch.length === 0) {
          setImmediate(() => {
            const out = batch;
            batch = [];
            if (this.registry.has(reg.key)) reg.onValues(out);
          });
        }
        batch.push(toItemValue(ids[index], dataValue));
      });
    }
    reg.onItemErrors?.(errors);
  }

  private async terminate(reg: Registered): Promise<void> {
    const live = reg.live;
    reg.live = undefined;
    if (live && this.current === 'connected') await withTimeout(live.subscription.terminate(), 3000, 'terminate timed out').catch(() => undefined);
  }

  /** A problem found outside `connectOnce` (e.g. creating a late subscription): drop the link, the loop reconnects. */
  private linkLost(why: unknown): void {
    this.signalLost?.(why);
  }

  /** Drops the current client and session without waiting long for a server that may be gone. */
  private async teardown(limitMs: number): Promise<void> {
    const session = this.session;
    const client = this.client;
    this.session = undefined;
    this.client = undefined;
    this.signalLost = undefined;
    for (const reg of this.registry.values()) reg.live = undefined;
    if (!client) return;
    const work = (async () => {
      if (session) await session.close(true).catch(() => undefined);
      await client.disconnect().catch(() => undefined);
    })();
    await Promise.race([work, delay(limitMs)]);
  }

  private setState(state: ConnectionState): void {
    if (state === this.current) return;
    const previous = this.current;
    this.current = state;
    this.stateSince = Date.now();
    const change: StateChange = { state, previous, error: this.lastError, attempt: this.attempt, since: this.stateSince };
    this.emit('state', change);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private requireSession(): any {
    if (this.closing) throw new NotConnectedError(this.current === 'disconnected' ? 'disconnected' : 'closing');
    if (this.current !== 'connected') throw new NotConnectedError(this.current);
    // Connected a moment ago, the session already torn down: the loop is about to reconnect.
    if (!this.session) throw new NotConnectedError('lost');
    return this.session;
  }

  private resolve(id: string): string {
    return resolveNodeIdText(id, this.namespaces, this.opts.defaultNamespaceUri || BMS_NAMESPACE_URI);
  }

  /** The variant type a write needs: the variable's own DataType when it is a built-in one. */
  private async dataTypeOf(session: any, nodeId: string, value: unknown): Promise<number> {
    const ua = this.ua;
    let t = this.dataTypes.get(nodeId);
    if (t === undefined) {
      const dv = await session.read({ nodeId, attributeId: ua.AttributeIds.DataType });
      const id = dv.value?.value;
      t = id && id.namespace === 0 && typeof id.value === 'number' && id.value >= 1 && id.value <= 25 ? (id.value as number) : 0;
      if (t) this.dataTypes.set(nodeId, t);
    }
    if (t) return t;
    return typeof value === 'boolean' ? ua.DataType.Boolean : typeof value === 'string' ? ua.DataType.String : ua.DataType.Double;
  }

  private loadOpcua(): any {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    if (!this.ua) this.ua = require('node-opcua');
    return this.ua;
  }
}

function toItemValue(id: string, dv: any): ItemValue {
  const status = dv.statusCode;
  return {
    id,
    value: dv.value?.value ?? null,
    status: status?.name ?? 'Good',
    good: status ? status.isGood() : true,
    sourceTimestamp: dv.sourceTimestamp ?? undefined,
  };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
