// Rows of one entity set kept sorted by Id with an Id index. Sorted order is what lets the query
// engine binary-search the keyset form `Id gt N` and stop scanning once a page is full, instead
// of walking 100 000 deals for every page.

import { idOf, type Row } from "./model.ts";

/** Index of the first row whose Id is ≥ id (rows.length when none). */
export function lowerBoundById(rows: readonly Row[], id: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const row = rows[mid];
    if (row !== undefined && idOf(row) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SortedCollection {
  private readonly rows: Row[];
  private readonly byId = new Map<number, Row>();

  constructor(initial: readonly Row[]) {
    this.rows = [...initial].sort((a, b) => idOf(a) - idOf(b));
    for (const row of this.rows) this.byId.set(idOf(row), row);
  }

  all(): readonly Row[] {
    return this.rows;
  }

  get(id: number): Row | undefined {
    return this.byId.get(id);
  }

  maxId(): number | undefined {
    const last = this.rows[this.rows.length - 1];
    return last === undefined ? undefined : idOf(last);
  }

  /** Inserts or replaces by Id. Rows are replaced, never mutated, so a response being built keeps its view. */
  put(row: Row): void {
    const id = idOf(row);
    const index = lowerBoundById(this.rows, id);
    if (this.byId.has(id)) this.rows[index] = row;
    else this.rows.splice(index, 0, row);
    this.byId.set(id, row);
  }

  remove(id: number): Row | undefined {
    const row = this.byId.get(id);
    if (row === undefined) return undefined;
    this.rows.splice(lowerBoundById(this.rows, id), 1);
    this.byId.delete(id);
    return row;
  }
}
