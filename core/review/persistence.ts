// Where open reviews are kept between restarts. The desk keeps each review under its own key,
// so a decision rewrites one review, not the whole list; a Node-RED context store (memory,
// localfilesystem, or a user's own) fits behind this interface, as does a plain Map in tests.

/** A key-value store of JSON values. Setting `undefined` deletes the key. */
export interface ReviewPersistence {
  keys(): Promise<string[]>;
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

/** Keeps values in memory as JSON text, so what comes back is what a file store would return. */
export class MemoryPersistence implements ReviewPersistence {
  readonly data = new Map<string, string>();
  writes = 0;

  async keys(): Promise<string[]> {
    return [...this.data.keys()];
  }

  async get(key: string): Promise<unknown> {
    const text = this.data.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }

  async set(key: string, value: unknown): Promise<void> {
    this.writes++;
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, JSON.stringify(value));
  }
}
