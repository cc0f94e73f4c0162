// The reviewers' HTTP API on the editor's admin server, shared by every Human Review node:
//   GET  <admin>/llmops-review/pending            open reviews of all nodes (?node=&offset=&limit=)
//   GET  <admin>/llmops-review/pending/:id        one open review
//   POST <admin>/llmops-review/:id/decision       {decision, payload?, comment?, checklist?}
// Reading needs the `llmops-review.read` permission, deciding `llmops-review.write` (a user
// with `read` / `*` in settings.js adminAuth gets them as usual): no login → 401, logged in
// without write → 403. The reviewer is the logged-in user, never a name from the request body.
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import type { DecisionInput, DecisionResult, ReviewView } from '../../core/review';

/** What a Human Review node offers the API while it is deployed. */
export interface ReviewDeskHandle {
  id: string;
  name: string;
  checklist: string[];
  approvalsRequired: number;
  /** Resolves once the open reviews have been read back from the store. */
  ready: Promise<void>;
  size(): number;
  list(offset: number, limit: number): ReviewView[];
  has(id: string): boolean;
  view(id: string): ReviewView | undefined;
  decide(input: DecisionInput): DecisionResult;
}

const desks = new Map<string, ReviewDeskHandle>();
const servedApps = new WeakSet<object>();

export function addDesk(handle: ReviewDeskHandle): () => void {
  desks.set(handle.id, handle);
  return () => {
    if (desks.get(handle.id) === handle) desks.delete(handle.id);
  };
}

/** Lets a request that arrives just after a deploy see the reviews still being loaded. */
function allReady(): Promise<unknown> {
  return Promise.all([...desks.values()].map((d) => d.ready));
}

function deskOf(reviewId: string): ReviewDeskHandle | undefined {
  for (const d of desks.values()) if (d.has(reviewId)) return d;
  return undefined;
}

function nodeInfo(d: ReviewDeskHandle) {
  return { id: d.id, name: d.name, checklist: d.checklist, approvalsRequired: d.approvalsRequired };
}

const STATUS_OF_REFUSAL: Record<string, number> = {
  'unknown-review': 404,
  'not-open': 409,
  'duplicate-reviewer': 409,
};

function intParam(v: unknown, fallback: number, max: number): number {
  const n = Math.floor(Number(v));
  return Number.isFinite(n) && n >= 0 ? Math.min(n, max) : fallback;
}

/** Does a token's scope grant `llmops-review.write`? The same reading as Node-RED's own check. */
export function scopeCanWrite(scope: unknown): boolean {
  if (Array.isArray(scope)) return scope.some(scopeCanWrite);
  return scope === '*' || scope === 'write' || scope === '*.write' || scope === 'llmops-review.write';
}

type Middleware = (req: Request, res: Response, next: () => void) => void;

/**
 * Node-RED answers a missing permission with 401, as for a missing login. A logged-in user
 * who may read but not decide gets 403, so a client can tell "log in" from "not allowed".
 */
const forbidReadOnly: Middleware = (req, res, next) => {
  const info = (req as Request & { authInfo?: { scope?: unknown } }).authInfo;
  if (info && !scopeCanWrite(info.scope)) {
    res.status(403).json({ code: 'forbidden', reason: 'deciding a review needs the llmops-review.write permission' });
    return;
  }
  next();
};

export function serveAdminApi(RED: NodeAPI): void {
  const app = RED.httpAdmin as unknown as object;
  if (!app || servedApps.has(app)) return;
  servedApps.add(app);
  const read = RED.auth.needsPermission('llmops-review.read');
  const write = RED.auth.needsPermission('llmops-review.write');

  RED.httpAdmin.get('/llmops-review/pending', read, async (req: Request, res: Response) => {
    await allReady();
    const offset = intParam(req.query.offset, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(req.query.limit, 200, 1000);
    const only = typeof req.query.node === 'string' ? req.query.node : undefined;
    const chosen = [...desks.values()].filter((d) => !only || d.id === only);
    const total = chosen.reduce((n, d) => n + d.size(), 0);
    // Pages run across nodes in deploy order, each node's reviews oldest first.
    const items: unknown[] = [];
    let skip = offset;
    for (const d of chosen) {
      if (items.length >= limit) break;
      const size = d.size();
      if (skip >= size) {
        skip -= size;
        continue;
      }
      for (const v of d.list(skip, limit - items.length)) items.push({ ...v, node: nodeInfo(d) });
      skip = 0;
    }
    res.json({ total, offset, items });
  });

  RED.httpAdmin.get('/llmops-review/pending/:id', read, async (req: Request, res: Response) => {
    await allReady();
    const id = String(req.params.id);
    const d = deskOf(id);
    const v = d?.view(id);
    if (!d || !v) {
      res.status(404).json({ code: 'unknown-review', reason: `no open review with id ${id}` });
      return;
    }
    res.json({ ...v, node: nodeInfo(d) });
  });

  RED.httpAdmin.post('/llmops-review/:id/decision', read, forbidReadOnly, write, async (req: Request, res: Response) => {
    await allReady();
    const body = (req.body ?? {}) as Record<string, unknown>;
    const id = String(req.params.id);
    const d = deskOf(id);
    if (!d) {
      res.status(404).json({ code: 'unknown-review', reason: `no open review with id ${id}` });
      return;
    }
    const user = (req as Request & { user?: { username?: string } }).user;
    const result = d.decide({
      id,
      decision: String(body.decision ?? ''),
      ...(body.payload !== undefined ? { payload: body.payload } : {}),
      ...(typeof body.comment === 'string' ? { comment: body.comment } : {}),
      ...(body.checklist !== undefined ? { checklist: body.checklist as DecisionInput['checklist'] } : {}),
      reviewer: user?.username ?? '',
    });
    if (result.kind === 'refused') {
      res.status(STATUS_OF_REFUSAL[result.code] ?? 422).json(result);
    } else if (result.kind === 'partial') {
      res.status(202).json({ outcome: 'partial', approvals: result.approvals, required: result.required, reviewer: result.item.approvals.at(-1)?.reviewer });
    } else {
      res.json({ outcome: 'released', port: result.release.port, review: result.release.review });
    }
  });
}
