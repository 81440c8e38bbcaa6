// Seeded pseudo-random numbers for the data generator. Determinism is the point: the same seed
// must give byte-identical data on every machine, so nothing here touches Math.random or the
// clock. mulberry32 is a tiny 32-bit generator with a full 2^32 period, plenty for test data.

export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("Random.pick called with an empty list");
    return item;
  }

  /** Picks a value with probability proportional to its weight. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, w]) => sum + w, 0);
    let roll = this.next() * total;
    for (const [value, weight] of choices) {
      roll -= weight;
      if (roll < 0) return value;
    }
    const last = choices[choices.length - 1];
    if (!last) throw new Error("Random.weighted called with no choices");
    return last[0];
  }
}

/** FNV-1a: turns a label into 32 bits so each data stream gets its own generator. */
function hashLabel(label: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A generator for one stream (contacts, deals, …) of one seed. Separate streams mean that asking
 * for more deals does not change the contacts or products that the same seed produced before.
 */
export function streamFor(seed: number, label: string): Random {
  return new Random((Math.imul(seed >>> 0, 0x9e3779b1) ^ hashLabel(label)) >>> 0);
}
