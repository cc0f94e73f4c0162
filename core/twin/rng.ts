// A small seeded PRNG (Mulberry32): the twin must replay bit-identically for a seed, which
// Math.random cannot. Quality is ample for jitter and synthetic arrivals.

export type Rng = () => number;

/** Uniform numbers in [0, 1), deterministic for `seed`. */
export function seededRng(seed: number): Rng {
  let a = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Exponentially distributed sample with the given mean. */
export function exponential(rng: Rng, mean: number): number {
  return -mean * Math.log(1 - rng());
}

/** Log-normal sample with the given median and log-space sigma (Box–Muller). */
export function logNormal(rng: Rng, median: number, sigma: number): number {
  const u1 = 1 - rng();
  const u2 = rng();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return median * Math.exp(sigma * z);
}
