// Deadlines of open reviews, earliest first, so the desk needs one timer however many reviews
// wait. Entries are never removed early: a stale one (the review was decided, or its deadline
// moved) is recognised and skipped when it reaches the top.

export interface Deadline {
  at: number;
  id: string;
}

export class ExpiryQueue {
  private heap: Deadline[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(d: Deadline): void {
    const h = this.heap;
    h.push(d);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent].at <= h[i].at) break;
      [h[parent], h[i]] = [h[i], h[parent]];
      i = parent;
    }
  }

  peek(): Deadline | undefined {
    return this.heap[0];
  }

  pop(): Deadline | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let min = i;
        if (l < h.length && h[l].at < h[min].at) min = l;
        if (r < h.length && h[r].at < h[min].at) min = r;
        if (min === i) break;
        [h[min], h[i]] = [h[i], h[min]];
        i = min;
      }
    }
    return top;
  }

  clear(): void {
    this.heap = [];
  }
}
