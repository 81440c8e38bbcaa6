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
  /** Id → row; null for a set looked up by Id too rarely to pay for a map (the lines of orders and quotes). */
  private readonly byId: Map<number, Row> | null;

  constructor(initial: readonly Row[], options: { readonly indexed: boolean } = { indexed: true }) {
    this.rows = [...initial].sort((a, b) => idOf(a) - idOf(b));
    this.byId = options.indexed ? new Map() : null;
    if (this.byId) { for (const row of this.rows) this.byId.set(idOf(row), row); }
  }

  all(): readonly Row[] {
    return this.rows;
  }

  get(id: number): Row | undefined {
    if (this.byId) return this.byId.get(id);
    const row = this.rows[lowerBoundById(this.rows, id)];
    return row !== undefined && idOf(row) === id ? row : undefined;
  }

  maxId(): number | undefined {
    const last = this.rows[this.rows.length - 1];
    return last === undefined ? undefined : idOf(last);
  }

  /** Inserts or replaces by Id. Rows are replaced, never mutated, so a response being built keeps its view. */
  put(row: Row): void {
    const id = idOf(row);
    const index = lowerBoundById(this.rows, id);
    const existing = this.rows[index];
    if (existing !== undefined && idOf(existing) === id) this.rows[index] = row;
    else this.rows.splice(index, 0, row);
    this.byId?.set(id, row);
  }

  remove(id: number): Row | undefined {
    const row = this.get(id);
    if (row === undefined) return undefined;
    this.rows.splice(lowerBoundById(this.rows, id), 1);
    this.byId?.delete(id);
    return row;
  }
}
