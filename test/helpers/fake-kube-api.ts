// STAND-IN for the Kubernetes API server (no cluster here), for the scale subresource only:
//   GET   /apis/apps/v1/namespaces/{ns}/{deployments|statefulsets}/{name}/scale   (autoscaling/v1 Scale)
//   PATCH the same, as application/merge-patch+json, strategic-merge-patch+json or json-patch+json
//   GET   /apis/apps/v1/namespaces/{ns}/{deployments|statefulsets}/{name}        (for readyReplicas)
// with the API server's behaviour where clients depend on it: bearer-token authentication (401),
// RBAC by verb and resource (403 with the API server's sentence), 404 for unknown objects, the
// optimistic lock on metadata.resourceVersion (409 Conflict), 415 for other patch types, and
// `Status` bodies for every error. Every response carries `x-stand-in`. HTTP or HTTPS (with a
// given key and certificate, as an in-cluster API server is reached).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface Workload {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
  replicas: number;
  /** Pods that exist; follows `replicas` at once. */
  current: number;
  /** Pods that are ready; follows `replicas` only on `settle()` (pods take time to start). */
  ready: number;
  resourceVersion: number;
}

export interface ReceivedKubeRequest {
  method: string;
  path: string;
  contentType?: string;
  authorization?: string;
  body?: unknown;
  status: number;
}

/** `verb resource`, e.g. `patch deployments/scale`. */
export type Permission = string;

const RESOURCE = { Deployment: 'deployments', StatefulSet: 'statefulsets' } as const;

export class FakeKubeApi {
  readonly workloads = new Map<string, Workload>();
  readonly requests: ReceivedKubeRequest[] = [];
  /** token → identity and what it may do. */
  readonly tokens = new Map<string, { user: string; allow: Set<Permission> }>();
  /** The next n PATCHes meet a concurrent writer: the object changes under them (409). */
  conflictsNext = 0;
  private readonly server: http.Server | https.Server;
  private readonly sockets = new Set<Socket>();
  private rv = 1000;
  port = 0;

  constructor(tls?: { key: string; cert: string }) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    this.server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  }

  addWorkload(kind: Workload['kind'], namespace: string, name: string, replicas: number): Workload {
    const w: Workload = { kind, namespace, name, replicas, current: replicas, ready: replicas, resourceVersion: ++this.rv };
    this.workloads.set(`${RESOURCE[kind]}/${namespace}/${name}`, w);
    return w;
  }

  /** A token whose user may do `allow` (default: everything the scaler needs). */
  addToken(token: string, user: string, allow: Permission[] = ['get deployments/scale', 'patch deployments/scale', 'get deployments', 'get statefulsets/scale', 'patch statefulsets/scale', 'get statefulsets']): void {
    this.tokens.set(token, { user, allow: new Set(allow) });
  }

  /** All pods started: ready follows the replica count. */
  settle(): void {
    for (const w of this.workloads.values()) w.ready = w.replicas;
  }

  /** Someone else (an HPA, kubectl) changes the object. */
  touch(w: Workload): void {
    w.resourceVersion = ++this.rv;
  }

  async start(): Promise<number> {
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const record: ReceivedKubeRequest = { method: req.method ?? '', path: req.url ?? '', contentType: req.headers['content-type'], authorization: req.headers.authorization, body, status: 0 };
      this.requests.push(record);
      const [status, payload] = this.route(req, body);
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', 'x-stand-in': 'fake-kube-api (test stand-in, no cluster)', 'cache-control': 'no-cache, private' });
      res.end(JSON.stringify(payload));
    });
  }

  private route(req: http.IncomingMessage, body: unknown): [number, unknown] {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const who = auth ? this.tokens.get(auth[1]) : undefined;
    if (!who) return [401, status(401, 'Unauthorized', 'Unauthorized')];
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(deployments|statefulsets)\/([^/]+)(\/scale)?$/.exec(url.pathname);
    if (!m) return [404, status(404, 'NotFound', 'the server could not find the requested resource')];
    const [, ns, resource, name, sub] = m;
    const method = req.method ?? 'GET';
    const verb = method === 'GET' ? 'get' : method === 'PATCH' ? 'patch' : method === 'PUT' ? 'update' : '';
    if (!verb) return [405, status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`)];
    const rbacResource = resource + (sub ? '/scale' : '');
    if (!who.allow.has(`${verb} ${rbacResource}`)) {
      return [
        403,
        status(403, 'Forbidden', `${resource}.apps "${name}" is forbidden: User "${who.user}" cannot ${verb} resource "${rbacResource}" in API group "apps" in the namespace "${ns}"`, { name, group: 'apps', kind: resource }),
      ];
    }
    const w = this.workloads.get(`${resource}/${ns}/${name}`);
    if (!w) return [404, status(404, 'NotFound', `${resource}.apps "${name}" not found`, { name, group: 'apps', kind: resource })];
    if (!sub) return [200, workloadObject(w)];
    if (method === 'GET') return [200, scaleObject(w)];
    if (method !== 'PATCH') return [405, status(405, 'MethodNotAllowed', 'the stand-in only takes PATCH on scale')];

    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim();
    let replicas: number | undefined;
    let expectRv: string | undefined;
    if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') {
      const b = body as { metadata?: { resourceVersion?: string }; spec?: { replicas?: unknown } } | undefined;
      expectRv = b?.metadata?.resourceVersion;
      if (b?.spec?.replicas !== undefined) replicas = b.spec.replicas as number;
    } else if (type === 'application/json-patch+json') {
      if (!Array.isArray(body)) return [400, status(400, 'BadRequest', 'json patch must be an array')];
      for (const op of body as Array<{ op: string; path: string; value?: unknown }>) {
        if (op.op === 'test' && op.path === '/metadata/resourceVersion') expectRv = String(op.value);
        else if ((op.op === 'replace' || op.op === 'add') && op.path === '/spec/replicas') replicas = op.value as number;
        else return [422, status(422, 'Invalid', `the stand-in does not apply ${op.op} ${op.path}`)];
      }
    } else {
      return [415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`)];
    }
    if (this.conflictsNext > 0) {
      this.conflictsNext--;
      this.touch(w);
    }
    if (expectRv !== undefined && expectRv !== String(w.resourceVersion)) {
      return [
        409,
        status(409, 'Conflict', `Operation cannot be fulfilled on ${resource}.apps "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group: 'apps', kind: resource }),
      ];
    }
    if (replicas !== undefined) {
      if (!Number.isInteger(replicas) || replicas < 0) {
        return [422, status(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`)];
      }
      if (replicas !== w.replicas) {
        w.replicas = replicas;
        w.current = replicas;
        w.ready = Math.min(w.ready, replicas);
        this.touch(w);
      }
    }
    return [200, scaleObject(w)];
  }
}

function status(code: number, reason: string, message: string, details?: Record<string, string>): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function scaleObject(w: Workload): unknown {
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: w.name, namespace: w.namespace, uid: `uid-${w.name}`, resourceVersion: String(w.resourceVersion), creationTimestamp: '2026-01-05T09:00:00Z' },
    spec: { replicas: w.replicas },
    status: { replicas: w.current, selector: `app=${w.name}` },
  };
}

function workloadObject(w: Workload): unknown {
  return {
    kind: w.kind,
    apiVersion: 'apps/v1',
    metadata: { name: w.name, namespace: w.namespace, uid: `uid-${w.name}`, resourceVersion: String(w.resourceVersion), generation: 1, creationTimestamp: '2026-01-05T09:00:00Z', labels: { app: w.name } },
    spec: {
      replicas: w.replicas,
      selector: { matchLabels: { app: w.name } },
      template: { metadata: { labels: { app: w.name } }, spec: { containers: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.6.3' }] } },
    },
    status: { observedGeneration: 1, replicas: w.current, readyReplicas: w.ready, availableReplicas: w.ready, updatedReplicas: w.current },
  };
}
