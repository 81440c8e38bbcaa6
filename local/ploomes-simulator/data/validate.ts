// Checks admin request bodies against the entity model before they touch the store: every key
// must be a declared property and every value must have the property's type, so that what the
// API later serves is always well-formed. All problems are collected and reported together.

import { AdminError } from "../errors.ts";
import { parseInstant } from "../instant.ts";
import type { EntityType, PropertyDef, Row, Scalar } from "./model.ts";

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkValue(prop: PropertyDef, value: unknown): string | null {
  if (value === null) return null;
  switch (prop.type) {
    case "int":
      return Number.isSafeInteger(value) ? null : `${prop.name} must be an integer or null`;
    case "decimal":
      return typeof value === "number" && Number.isFinite(value) ? null : `${prop.name} must be a number or null`;
    case "string":
      return typeof value === "string" ? null : `${prop.name} must be a string or null`;
    case "bool":
      return typeof value === "boolean" ? null : `${prop.name} must be a boolean or null`;
    case "datetime":
      return typeof value === "string" && parseInstant(value) !== null
        ? null
        : `${prop.name} must be an ISO-8601 datetime with an offset (e.g. 2024-05-02T10:11:12.5-03:00) or null`;
  }
}

interface Checked {
  readonly row: Row;
  readonly problems: string[];
}

/** Collects the problems of one object of `type` fields; `prefix` locates it inside a larger body. */
function checkFields(type: EntityType, body: unknown, extraKeys: readonly string[], prefix: string): Checked {
  if (!isPlainObject(body)) {
    return { row: {}, problems: [`${prefix || "the body"} must be a JSON object of ${type.name} fields`] };
  }
  const problems: string[] = [];
  const row: Row = {};
  for (const [key, value] of Object.entries(body)) {
    if (extraKeys.includes(key)) continue;
    const prop = type.propertyByName.get(key);
    if (!prop) {
      problems.push(`${prefix}${key} is not a ${type.name} property`);
      continue;
    }
    const problem = checkValue(prop, value);
    if (problem) problems.push(prefix + problem);
    else row[key] = value as Scalar;
  }
  return { row, problems };
}

/**
 * Validates the scalar fields of `body` for `type`. Keys in `extraKeys` (e.g. `Products` on a deal)
 * are left for the caller. Throws one AdminError listing every problem.
 */
export function validateFields(type: EntityType, body: unknown, extraKeys: readonly string[] = []): Row {
  const { row, problems } = checkFields(type, body, extraKeys, "");
  if (problems.length > 0) throw new AdminError(400, `invalid ${type.name}`, problems);
  return row;
}

/** Validates the items of a deal's `Products` list (line items); each needs a ProductId. */
export function validateLineItems(type: EntityType, value: unknown): Row[] {
  if (!Array.isArray(value)) throw new AdminError(400, "Products must be an array of line items");
  const problems: string[] = [];
  const items = value.map((item: unknown, i) => {
    const checked = checkFields(type, item, [], `Products[${i}].`);
    problems.push(...checked.problems);
    if (checked.problems.length === 0 && typeof checked.row.ProductId !== "number") {
      problems.push(`Products[${i}].ProductId is required`);
    }
    return checked.row;
  });
  if (problems.length > 0) throw new AdminError(400, "invalid line items", problems);
  return items;
}
