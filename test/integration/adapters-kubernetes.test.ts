// The Kubernetes scale actuator, through the real @kubernetes/client-node, against a local
// STAND-IN of the Kubernetes API (scale subresource, RBAC, optimistic locking).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdapterError } from '../../core/adapters/errors';
import { KubernetesScaler, type KubernetesOptions } from '../../core/adapters/kubernetes';
import { FakeKubeApi } from '../helpers/fake-kube-api';
import { freePort } from '../helpers/ports';
import { requireTool } from '../helpers/require-tool';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.stand-in-token';
const USER = 'system:serviceaccount:llm:node-red';
const SCALE = '/apis/apps/v1/namespaces/llm/deployments/vllm-llama/scale';

function isCode(code: string) {
  return (e: unknown) => e instanceof AdapterError && e.code === code;
}

function writeKubeconfig(dir: string, server: string, token = TOKEN): string {
  const file = path.join(dir, 'kubeconfig');
  fs.writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: lab',
      '  cluster:',
      `    server: ${server}`,
      // kubectl-proxy style plain HTTP: the client insists on this flag for http:// servers.
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: node-red',
      '  user:',
      `    token: ${token}`,
      'contexts:',
      '- name: lab',
      '  context: {cluster: lab, user: node-red, namespace: llm}',
      'current-context: lab',
      '',
    ].join('\n'),
  );
  return file;
}

describe('Kubernetes scale actuator (stand-in API server)', function () {
  this.timeout(20000);
  let api: FakeKubeApi;
  let dir: string;
  let kubeconfig: string;

  const scaler = (extra: Partial<KubernetesOptions> = {}) => new KubernetesScaler({ kind: 'Deployment', name: 'vllm-llama', auth: 'kubeconfig', kubeconfigPath: kubeconfig, ...extra });

  beforeEach(async () => {
    api = new FakeKubeApi();
    const port = await api.start();
    api.addToken(TOKEN, USER);
    api.addWorkload('Deployment', 'llm', 'vllm-llama', 4);
    api.addWorkload('StatefulSet', 'llm', 'vllm-mixtral', 2);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-'));
    kubeconfig = writeKubeconfig(dir, `http://127.0.0.1:${port}`);
  });
  afterEach(async () => {
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads desired, existing and ready replicas', async () => {
    const s = await scaler().read();
    assert.deepEqual([s.desired, s.current, s.ready], [4, 4, 4]);
  });

  it('uses the namespace of the kubeconfig context', async () => {
    assert.equal(scaler().namespace, 'llm');
  });

  it('scales through the scale subresource with a merge patch that carries the resourceVersion read', async () => {
    const rv = String(api.workloads.get('deployments/llm/vllm-llama')!.resourceVersion);
    const r = await scaler().scale(6);
    const patch = api.requests.find((q) => q.method === 'PATCH')!;
    assert.equal(patch.path, `${SCALE}?fieldManager=node-red-contrib-llmops`);
    assert.equal(patch.contentType, 'application/merge-patch+json');
    assert.deepEqual(patch.body, { metadata: { resourceVersion: rv }, spec: { replicas: 6 } });
    assert.deepEqual([r.previous, r.desired, r.changed], [4, 6, true]);
  });

  it('sends the bearer token of the kubeconfig', async () => {
    await scaler().read();
    assert.equal(api.requests[0].authorization, `Bearer ${TOKEN}`);
  });

  it('scales a StatefulSet through its own scale subresource', async () => {
    await scaler({ kind: 'StatefulSet', name: 'vllm-mixtral' }).scale(3);
    assert.ok(api.requests.some((q) => q.method === 'PATCH' && q.path.startsWith('/apis/apps/v1/namespaces/llm/statefulsets/vllm-mixtral/scale')));
    assert.equal(api.workloads.get('statefulsets/llm/vllm-mixtral')!.replicas, 3);
  });

  it('makes no write when the count is already right', async () => {
    const r = await scaler().scale(4);
    assert.equal(r.changed, false);
    assert.ok(!api.requests.some((q) => q.method === 'PATCH'));
  });

  it('reports ready replicas, not the count asked for, until the pods are up', async () => {
    const s = scaler();
    const r = await s.scale(6);
    assert.equal(r.ready, 4);
    api.settle();
    assert.equal((await s.read()).ready, 6);
  });

  it('re-reads and retries when someone else changed the object (409)', async () => {
    api.conflictsNext = 2;
    const r = await scaler().scale(5);
    const patches = api.requests.filter((q) => q.method === 'PATCH').map((q) => q.status);
    assert.deepEqual(patches, [409, 409, 200]);
    assert.equal(r.attempts, 3);
    assert.equal(api.workloads.get('deployments/llm/vllm-llama')!.replicas, 5);
  });

  it('gives up with ERR_CONFLICT when conflicts outlast the retries', async () => {
    api.conflictsNext = 10;
    await assert.rejects(scaler({ conflictRetries: 2 }).scale(5), isCode('ERR_CONFLICT'));
    assert.equal(api.requests.filter((q) => q.method === 'PATCH').length, 3);
  });

  it('names the missing RBAC verb and resource on 403', async () => {
    api.addToken(TOKEN, USER, ['get deployments/scale', 'get deployments']);
    const err = await scaler()
      .scale(6)
      .then(
        () => assert.fail('scaling should have been forbidden'),
        (e: AdapterError) => e,
      );
    assert.equal(err.code, 'ERR_PERMISSION');
    assert.equal(err.status, 403);
    assert.match(err.message, /cannot patch resource "deployments\/scale" in API group "apps"/);
    assert.match(err.message, /resources \["deployments\/scale"\], verbs \["patch"\]/);
  });

  it('falls back to the scale status for readiness when it may not read the Deployment', async () => {
    api.addToken(TOKEN, USER, ['get deployments/scale', 'patch deployments/scale']);
    const s = scaler();
    const r = await s.scale(6);
    assert.equal(r.ready, 6);
    await s.read();
    assert.equal(api.requests.filter((q) => q.path === '/apis/apps/v1/namespaces/llm/deployments/vllm-llama').length, 1, 'asked again after a 403');
  });

  it('reports rejected credentials (401)', async () => {
    kubeconfig = writeKubeconfig(dir, `http://127.0.0.1:${api.port}`, 'expired');
    await assert.rejects(scaler().read(), (e: unknown) => isCode('ERR_PERMISSION')(e) && (e as AdapterError).status === 401);
  });

  it('reports an unknown Deployment as missing', async () => {
    await assert.rejects(scaler({ name: 'vllm-nope' }).read(), (e: unknown) => isCode('ERR_MISSING')(e) && /vllm-nope.*namespace "llm"/.test((e as Error).message));
  });

  it('reports an API server nobody listens on as unreachable', async () => {
    kubeconfig = writeKubeconfig(dir, `http://127.0.0.1:${await freePort()}`);
    await assert.rejects(scaler().read(), isCode('ERR_UNREACHABLE'));
  });

  it('refuses a negative replica count before calling the API', async () => {
    await assert.rejects(scaler().scale(-1), isCode('ERR_BAD_CONFIG'));
    assert.equal(api.requests.length, 0);
  });

  it('refuses a missing kubeconfig file', () => {
    assert.throws(() => scaler({ kubeconfigPath: path.join(dir, 'none') }), (e: unknown) => isCode('ERR_BAD_CONFIG')(e) && /no kubeconfig at/.test((e as Error).message));
  });
});

describe('Kubernetes scale actuator in a pod (stand-in API server over HTTPS)', function () {
  this.timeout(30000);
  let api: FakeKubeApi;
  let root: string;
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };

  before(async function () {
    const openssl = requireTool(this, 'openssl', 'apt-get install openssl');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'incluster-'));
    const sa = path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    fs.mkdirSync(sa, { recursive: true });
    const key = path.join(root, 'key.pem');
    execFileSync(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', path.join(sa, 'ca.crt'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
      stdio: 'ignore',
      // node-opcua-pki sets OPENSSL_CONF in this process when an earlier test made a PKI; that file
      // may be gone by now, and openssl then refuses to start. Use the system's configuration.
      env: { ...process.env, OPENSSL_CONF: '' },
    });
    fs.writeFileSync(path.join(sa, 'token'), TOKEN);
    fs.writeFileSync(path.join(sa, 'namespace'), 'llm');
    api = new FakeKubeApi({ key: fs.readFileSync(key, 'utf8'), cert: fs.readFileSync(path.join(sa, 'ca.crt'), 'utf8') });
    const port = await api.start();
    api.addToken(TOKEN, USER);
    api.addWorkload('Deployment', 'llm', 'vllm-llama', 2);
    process.env.KUBERNETES_SERVICE_HOST = '127.0.0.1';
    process.env.KUBERNETES_SERVICE_PORT = String(port);
  });
  after(async () => {
    if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
    else process.env.KUBERNETES_SERVICE_HOST = saved.host;
    if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
    else process.env.KUBERNETES_SERVICE_PORT = saved.port;
    await api?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('scales with the service account token, CA and namespace of the pod', async () => {
    const s = new KubernetesScaler({ kind: 'Deployment', name: 'vllm-llama', auth: 'in-cluster', inClusterRoot: root });
    assert.equal(s.namespace, 'llm');
    const r = await s.scale(3);
    assert.equal(r.desired, 3);
    assert.equal(api.requests[0].authorization, `Bearer ${TOKEN}`);
  });

  it('says so when asked for in-cluster credentials outside a pod', () => {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      assert.throws(() => new KubernetesScaler({ kind: 'Deployment', name: 'vllm-llama', auth: 'in-cluster', inClusterRoot: root }), /not running in a pod/);
    } finally {
      process.env.KUBERNETES_SERVICE_HOST = host;
    }
  });
});
