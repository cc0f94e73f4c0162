// Keeps a desk's open reviews in the node's own context, in the store the user picked
// (`memory`, `file` = localfilesystem, or any store configured in settings.js). One key per
// review: a decision rewrites one key, and the file store batches its writes to disk.
import type { NodeContextData } from 'node-red';
import type { ReviewPersistence } from '../../core/review';

type Callback<T> = (err: Error | null | undefined, value?: T) => void;
interface CallbackContext {
  keys(store: string | undefined, cb: Callback<string[]>): void;
  get(key: string, store: string | undefined, cb: Callback<unknown>): void;
  set(key: string, value: unknown, store: string | undefined, cb: (err?: Error | null) => void): void;
}

export function contextPersistence(context: NodeContextData, store: string | undefined): ReviewPersistence {
  const ctx = context as unknown as CallbackContext;
  return {
    keys: () => new Promise((resolve, reject) => ctx.keys(store, (err, keys) => (err ? reject(err) : resolve(keys ?? [])))),
    get: (key) => new Promise((resolve, reject) => ctx.get(key, store, (err, v) => (err ? reject(err) : resolve(v)))),
    set: (key, value) => new Promise((resolve, reject) => ctx.set(key, value, store, (err) => (err ? reject(err) : resolve()))),
  };
}
