// Raw row overrides: "the API sends malformed values". The admin API validates every stored
// value, so the data itself is always well-formed; a test of the sync's defences needs the API to
// serve what the real one might send instead (a string Amount, a date without an offset, a
// missing key, an Id of the wrong type). An override is a set of raw JSON fields, per entity kind
// and Id, merged onto the row *as served* — after $select/$expand shaping — and never validated.
// It is a test device, not a claim about the real API.
//
// Only what is served changes: $filter, $orderby and paging still run on the stored (valid)
// values, so a row keeps its place in the pages while showing the overridden value.

import { ENTITY_KINDS, type EntityKind } from "./data/store.ts";
import { isPlainObject } from "./data/validate.ts";
import { AdminError } from "./errors.ts";

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Raw fields to put onto a served row, replacing keys of the same name. */
export type OverrideFields = { readonly [key: string]: JsonValue };

export interface RowOverride {
  readonly kind: EntityKind;
  readonly id: number;
  readonly fields: OverrideFields;
}

/**
 * An override value equal to `{"$remove": true}` deletes the key from the served row (a field the
 * real API "forgot"). A `$`-prefixed key cannot be an entity property, so the marker cannot collide
 * with a value a test wants served verbatim.
 */
export const REMOVE_MARKER_KEY = "$remove";

function isRemoveMarker(value: JsonValue): boolean {
  return isPlainObject(value) && Object.keys(value).length === 1 && value[REMOVE_MARKER_KEY] === true;
}

export function parseOverrideKind(text: string): EntityKind {
  const kind = ENTITY_KINDS.find((k) => k === text);
  if (kind === undefined) {
    throw new AdminError(404, `no entity kind '${text}' for overrides; one of ${ENTITY_KINDS.join(", ")}`);
  }
  return kind;
}

export class RowOverrides {
  private readonly byKind = new Map<EntityKind, Map<number, OverrideFields>>();

  /** Replaces the override of that row. `fields` must be a JSON object; its values are not checked. */
  set(kind: EntityKind, id: number, fields: unknown): RowOverride {
    if (!ENTITY_KINDS.includes(kind)) {
      throw new AdminError(400, `unknown entity kind '${String(kind)}'; one of ${ENTITY_KINDS.join(", ")}`);
    }
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw new AdminError(400, `the Id of an override must be a positive integer, got ${String(id)}`);
    }
    if (!isPlainObject(fields)) {
      const got = fields === null ? "null" : Array.isArray(fields) ? "an array" : typeof fields;
      throw new AdminError(400, `the override of ${kind} ${id} must be a JSON object of fields, got ${got}`);
    }
    // A copy, so a caller mutating its object afterwards does not change what is served.
    const stored = structuredClone(fields) as OverrideFields;
    let rows = this.byKind.get(kind);
    if (rows === undefined) {
      rows = new Map();
      this.byKind.set(kind, rows);
    }
    rows.set(id, stored);
    return { kind, id, fields: stored };
  }

  get(kind: EntityKind, id: number): OverrideFields | undefined {
    return this.byKind.get(kind)?.get(id);
  }

  /** Removes and returns the override of that row, if there was one. */
  remove(kind: EntityKind, id: number): RowOverride | undefined {
    const rows = this.byKind.get(kind);
    const fields = rows?.get(id);
    if (rows === undefined || fields === undefined) return undefined;
    rows.delete(id);
    return { kind, id, fields };
  }

  /** Every override, by kind (in ENTITY_KINDS order) then Id. */
  list(): RowOverride[] {
    return ENTITY_KINDS.flatMap((kind) =>
      [...(this.byKind.get(kind) ?? new Map<number, OverrideFields>())]
        .sort(([a], [b]) => a - b)
        .map(([id, fields]) => ({ kind, id, fields }))
    );
  }

  clear(): void {
    this.byKind.clear();
  }
}

/**
 * The served row with the override merged on: keys present keep their position with the new value,
 * new keys are appended (even ones outside $select — the point is to serve exactly what the test
 * asked for), and `{"$remove": true}` deletes the key.
 */
export function applyOverride(
  served: Record<string, unknown>,
  fields: OverrideFields | undefined,
): Record<string, unknown> {
  if (fields === undefined) return served;
  const result: Record<string, unknown> = { ...served };
  for (const [key, value] of Object.entries(fields)) {
    if (isRemoveMarker(value)) delete result[key];
    else result[key] = value;
  }
  return result;
}
