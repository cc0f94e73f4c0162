// The Cluster Scaler's Kubernetes actuator: sets the replica count of the Deployment or
// StatefulSet that runs the inference servers, through its `scale` subresource, with the
// official client (`@kubernetes/client-node`), and reads back how many replicas are ready:
// that, not the replica count asked for, is the fleet's `activeServers`.
//
// A write is a JSON merge patch carrying the resourceVersion we read, so the API server
// refuses it (409 Conflict) if someone else (an HPA, a person with kubectl) changed the object
// in between; we then read again and retry, a few times, before giving up with ERR_CONFLICT.
// A 403 becomes an ERR_PERMISSION that names the verb and resource the RBAC role lacks.
//
// The client is an ES module; it is loaded on first use (Node ≥ 20.19 can require it), so
// flows that never scale on Kubernetes never load it.
import fs from 'fs';
import type * as K8s from '@kubernetes/client-node';
import { AdapterError } from './errors';

export type WorkloadKind = 'Deployment' | 'StatefulSet';

export interface KubernetesOptions {
  kind: WorkloadKind;
  name: string;
  /** Default: the kubeconfig context's namespace, the pod's own namespace in-cluster, else "default". */
  namespace?: string;
  /**
   * Where the credentials come from: `in-cluster` (the pod's service account), `kubeconfig`
   * (the file at `kubeconfigPath`), or `default` (KUBECONFIG, ~/.kube/config, then in-cluster).
   */
  auth?: 'in-cluster' | 'kubeconfig' | 'default';
  kubeconfigPath?: string;
  /** kubeconfig context to use (default: its current-context). */
  context?: string;
  /** Root for the service-account files (tests; default ""). */
  inClusterRoot?: string;
  /** Retries after a 409 Conflict (default 3). */
  conflictRetries?: number;
  /** Limit for one API request, ms (default 10 000). */
  timeoutMs?: number;
  /** Recorded by the API server as the writer of `spec.replicas`. */
  fieldManager?: string;
}

export interface ScaleState {
  /** Replicas asked for (`spec.replicas`). */
  desired: number;
  /** Pods that exist (`status.replicas` of the scale subresource). */
  current: number;
  /** Pods that are ready (`status.readyReplicas`); equals `current` when the role may not read the workload itself. */
  ready: number;
  resourceVersion?: string;
}

export interface ScaleResult extends ScaleState {
  previous: number;
  changed: boolean;
  /** Writes tried (1 unless conflicts forced re-reads). */
  attempts: number;
}

type Client = typeof import('@kubernetes/client-node');
let client: Client | undefined;
function loadClient(): Client {
  if (!client) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      client = require('@kubernetes/client-node') as Client;
    } catch (err) {
      throw new AdapterError('ERR_UNSUPPORTED', `cannot load @kubernetes/client-node (${err instanceof Error ? err.message : String(err)}); it needs Node.js 20.19 or newer`);
    }
  }
  return client;
}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export class KubernetesScaler {
  readonly kind: WorkloadKind;
  readonly name: string;
  readonly namespace: string;
  readonly server: string;
  private readonly apps: K8s.AppsV1Api;
  private readonly k8s: Client;
  private readonly retries: number;
  private readonly timeoutMs: number;
  private readonly fieldManager: string;
  /** The role may not `get` the workload itself: ready = scale status replicas. */
  private readyFromScale = false;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(opts: KubernetesOptions) {
    if (opts.kind !== 'Deployment' && opts.kind !== 'StatefulSet') throw new AdapterError('ERR_BAD_CONFIG', `kind must be Deployment or StatefulSet, got ${JSON.stringify(opts.kind)}`);
    if (!opts.name || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(opts.name)) throw new AdapterError('ERR_BAD_CONFIG', `"${opts.name ?? ''}" is not a Kubernetes object name`);
    this.k8s = loadClient();
    const kc = new this.k8s.KubeConfig();
    const auth = opts.auth ?? 'default';
    try {
      if (auth === 'in-cluster') {
        if (!process.env.KUBERNETES_SERVICE_HOST) throw new Error('KUBERNETES_SERVICE_HOST is not set: Node-RED is not running in a pod');
        kc.loadFromCluster(opts.inClusterRoot ?? '');
      } else if (auth === 'kubeconfig') {
        if (!opts.kubeconfigPath) throw new Error('no kubeconfig path given');
        if (!fs.existsSync(opts.kubeconfigPath)) throw new Error(`no kubeconfig at ${opts.kubeconfigPath}`);
        kc.loadFromFile(opts.kubeconfigPath);
      } else {
        kc.loadFromDefault();
      }
      if (opts.context) kc.setCurrentContext(opts.context);
    } catch (err) {
      throw new AdapterError('ERR_BAD_CONFIG', `cannot load Kubernetes credentials (${auth}): ${err instanceof Error ? err.message : String(err)}`);
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new AdapterError('ERR_BAD_CONFIG', `the kubeconfig has no cluster for context "${kc.getCurrentContext()}"`);
    this.server = cluster.server;
    this.kind = opts.kind;
    this.name = opts.name;
    this.namespace = opts.namespace || kc.getContextObject(kc.getCurrentContext())?.namespace || readNamespaceFile(opts.inClusterRoot) || 'default';
    this.apps = kc.makeApiClient(this.k8s.AppsV1Api);
    this.retries = opts.conflictRetries ?? 3;
    this.timeoutMs = opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : 10_000;
    this.fieldManager = opts.fieldManager ?? 'node-red-contrib-llmops';
  }

  /** `deployments` or `statefulsets`: the resource name RBAC rules use. */
  get resource(): string {
    return this.kind === 'Deployment' ? 'deployments' : 'statefulsets';
  }

  /** Desired, existing and ready replicas now. */
  read(): Promise<ScaleState> {
    return this.serial(() => this.readNow());
  }

  /** Sets the replica count (a no-op when it is already `replicas`); resolves with the state after the write. */
  scale(replicas: number): Promise<ScaleResult> {
    if (!Number.isInteger(replicas) || replicas < 0) return Promise.reject(new AdapterError('ERR_BAD_CONFIG', `replicas must be a whole number ≥ 0, got ${JSON.stringify(replicas)}`));
    return this.serial(async () => {
      let attempts = 0;
      for (;;) {
        const before = await this.readScale();
        if (before.desired === replicas) {
          return { ...(await this.withReady(before)), previous: before.desired, changed: false, attempts };
        }
        attempts++;
        try {
          const after = await this.patchScale(replicas, before.resourceVersion);
          return { ...(await this.withReady(after)), previous: before.desired, changed: true, attempts };
        } catch (err) {
          if (err instanceof AdapterError && err.code === 'ERR_CONFLICT' && attempts <= this.retries) continue;
          throw err;
        }
      }
    });
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.chain.then(job, job);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async readNow(): Promise<ScaleState> {
    return this.withReady(await this.readScale());
  }

  private async readScale(): Promise<ScaleState> {
    const p = { name: this.name, namespace: this.namespace };
    const scale = await this.call('get', `${this.resource}/scale`, () => (this.kind === 'Deployment' ? this.apps.readNamespacedDeploymentScale(p) : this.apps.readNamespacedStatefulSetScale(p)));
    return scaleState(scale);
  }

  private async patchScale(replicas: number, resourceVersion?: string): Promise<ScaleState> {
    const body = { metadata: resourceVersion ? { resourceVersion } : {}, spec: { replicas } };
    const p = { name: this.name, namespace: this.namespace, body, fieldManager: this.fieldManager };
    const merge = this.k8s.setHeaderOptions('Content-Type', this.k8s.PatchStrategy.MergePatch);
    const scale = await this.call('patch', `${this.resource}/scale`, () =>
      this.kind === 'Deployment' ? this.apps.patchNamespacedDeploymentScale(p, merge) : this.apps.patchNamespacedStatefulSetScale(p, merge),
    );
    return scaleState(scale);
  }

  /** Adds ready replicas from the workload's status (one more GET, allowed by `get` on the workload). */
  private async withReady(s: ScaleState): Promise<ScaleState> {
    if (this.readyFromScale) return { ...s, ready: s.current };
    const p = { name: this.name, namespace: this.namespace };
    try {
      const obj = await this.call('get', this.resource, () => (this.kind === 'Deployment' ? this.apps.readNamespacedDeployment(p) : this.apps.readNamespacedStatefulSet(p)));
      return { ...s, ready: obj.status?.readyReplicas ?? 0 };
    } catch (err) {
      if (err instanceof AdapterError && err.code === 'ERR_PERMISSION') {
        // Scaling works without it; only the ready count is coarser. Say so once, in the state.
        this.readyFromScale = true;
        return { ...s, ready: s.current };
      }
      throw err;
    }
  }

  private async call<T>(verb: string, resource: string, request: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AdapterError('ERR_TIMEOUT', `the Kubernetes API at ${this.server} did not answer ${verb} ${resource} within ${this.timeoutMs} ms`, `${verb} ${resource}`)), this.timeoutMs);
    });
    try {
      return await Promise.race([request(), timeout]);
    } catch (err) {
      throw this.explain(err, verb, resource);
    } finally {
      clearTimeout(timer);
    }
  }

  private explain(err: unknown, verb: string, resource: string): AdapterError {
    if (err instanceof AdapterError) return err;
    const what = `${verb} ${resource} "${this.name}" in namespace "${this.namespace}"`;
    const e = err as { code?: unknown; body?: unknown; message?: string; cause?: { code?: string } };
    const status = typeof e.code === 'number' ? e.code : undefined;
    if (status === undefined) {
      const why = (typeof e.code === 'string' ? e.code : e.cause?.code) ?? e.message ?? String(err);
      if (/HTTP protocol is not allowed/i.test(String(e.message))) {
        return new AdapterError('ERR_BAD_CONFIG', `the API server ${this.server} is plain HTTP, which the Kubernetes client only uses when the kubeconfig's cluster has insecure-skip-tls-verify: true (as for kubectl proxy)`, what);
      }
      return new AdapterError('ERR_UNREACHABLE', `cannot reach the Kubernetes API at ${this.server} (${why})`, what);
    }
    const said = statusMessage(e.body);
    switch (status) {
      case 401:
        return new AdapterError('ERR_PERMISSION', `the Kubernetes API at ${this.server} did not accept the credentials (401 Unauthorized)${said ? `: ${said}` : ''}; the token or client certificate may have expired`, what, 401);
      case 403:
        return new AdapterError(
          'ERR_PERMISSION',
          `Kubernetes refused to ${what} (403 Forbidden)${said ? `: ${said}` : ''}. ` +
            `Give the identity Node-RED runs as a Role in "${this.namespace}" with apiGroups ["apps"], resources ["${resource}"], verbs ["${verb}"] ` +
            `(the scaler uses get and patch on ${this.resource}/scale, and get on ${this.resource}), and a RoleBinding to it.`,
          what,
          403,
        );
      case 404:
        return new AdapterError('ERR_MISSING', `${this.kind} "${this.name}" was not found in namespace "${this.namespace}" (404)${said ? `: ${said}` : ''}`, what, 404);
      case 409:
        return new AdapterError('ERR_CONFLICT', `${this.kind} "${this.name}" kept changing while we scaled it (409 Conflict, ${this.retries} retries)${said ? `: ${said}` : ''}`, what, 409);
      case 422:
        return new AdapterError('ERR_BAD_CONFIG', `Kubernetes rejected the new scale (422)${said ? `: ${said}` : ''}`, what, 422);
      default:
        return new AdapterError(status >= 500 ? 'ERR_UNREACHABLE' : 'ERR_FAILED', `Kubernetes answered ${status} to ${what}${said ? `: ${said}` : ''}`, what, status);
    }
  }
}

function scaleState(scale: K8s.V1Scale): ScaleState {
  const desired = scale.spec?.replicas ?? 0;
  const current = scale.status?.replicas ?? 0;
  return { desired, current, ready: current, resourceVersion: scale.metadata?.resourceVersion };
}

/** The `message` of a Kubernetes Status body (JSON text or object). */
function statusMessage(body: unknown): string {
  if (body === undefined || body === null) return '';
  let obj: unknown = body;
  if (typeof body === 'string') {
    try {
      obj = JSON.parse(body);
    } catch {
      return body.slice(0, 300);
    }
  }
  const m = (obj as { message?: unknown })?.message;
  return typeof m === 'string' ? m : '';
}

function readNamespaceFile(root = ''): string | undefined {
  try {
    return fs.readFileSync(root + SA_NAMESPACE_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
