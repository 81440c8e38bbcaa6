// Binds parsed query options to the entity model: resolves every name ($select, $filter,
// $orderby, $expand and their nested options) and type-checks expressions. An unknown name —
// or a navigation where a property is expected, as in `$select=Products` — is 403 "Your request
// has been forbidden", which is what Ploomes answers ([obs]); a type error is 400.
// Names are resolved against a Model: the declared entity types, less the names the
// `unknownProperties` setting removes (a field Ploomes renamed or dropped).

import { badRequest, forbidden, type ODataError } from "../errors.ts";
import type { Instant } from "../instant.ts";
import {
  ENTITY_TYPES,
  type EntityType,
  type NavigationDef,
  type PropertyDef,
  type PropertyType,
  type SingleNavigation,
  type TypeName,
} from "../data/model.ts";
import type { CompareOp, Expr, Literal, OrderItem } from "./parser.ts";
import type { ExpandItem, QueryOptions } from "./query-options.ts";

export type ValueType = "boolean" | "number" | "string" | "datetime" | "null";
export type RuntimeValue = number | string | boolean | Instant | null;
export type FunctionName = "contains" | "startswith" | "endswith" | "tolower" | "toupper" | "trim" | "length";

export interface BoundPath {
  readonly navigations: readonly SingleNavigation[];
  readonly property: PropertyDef;
  readonly type: ValueType;
}

export type BoundExpr =
  | {
    readonly kind: "logical";
    readonly op: "and" | "or";
    readonly left: BoundExpr;
    readonly right: BoundExpr;
    readonly type: "boolean";
  }
  | { readonly kind: "not"; readonly operand: BoundExpr; readonly type: "boolean" }
  | {
    readonly kind: "compare";
    readonly op: CompareOp;
    readonly left: BoundExpr;
    readonly right: BoundExpr;
    readonly operandType: ValueType;
    readonly type: "boolean";
  }
  | { readonly kind: "literal"; readonly value: RuntimeValue; readonly type: ValueType }
  | { readonly kind: "property"; readonly path: BoundPath; readonly type: ValueType }
  | {
    readonly kind: "call";
    readonly name: FunctionName;
    readonly args: readonly BoundExpr[];
    readonly type: ValueType;
  };

export interface BoundOrder {
  readonly path: BoundPath;
  readonly descending: boolean;
}

export interface BoundExpand {
  readonly navigation: NavigationDef;
  readonly query: BoundQuery;
}

export interface BoundQuery {
  readonly type: EntityType;
  readonly select: readonly PropertyDef[];
  readonly expand: readonly BoundExpand[];
  readonly filter: BoundExpr | null;
  readonly orderby: readonly BoundOrder[];
  readonly top: number | null;
  readonly skip: number | null;
  readonly count: boolean;
}

const TYPE_OF_PROPERTY: Readonly<Record<PropertyType, ValueType>> = {
  int: "number",
  decimal: "number",
  string: "string",
  bool: "boolean",
  datetime: "datetime",
};

/** Signatures of the supported functions: argument types and result type. */
const FUNCTIONS: Readonly<Record<FunctionName, { readonly args: readonly ValueType[]; readonly result: ValueType }>> = {
  contains: { args: ["string", "string"], result: "boolean" },
  startswith: { args: ["string", "string"], result: "boolean" },
  endswith: { args: ["string", "string"], result: "boolean" },
  tolower: { args: ["string"], result: "string" },
  toupper: { args: ["string"], result: "string" },
  trim: { args: ["string"], result: "string" },
  length: { args: ["string"], result: "number" },
};

/** The entity types as one request sees them; navigation targets are looked up here too. */
export type Model = (name: TypeName) => EntityType;

/** Every declared property and navigation. */
const DECLARED_MODEL: Model = (name) => ENTITY_TYPES[name];

/**
 * The declared model less `unknown` (entries `Type.Name`, a property or a navigation). A removed
 * name is then undeclared for everything that binds: refused when named (403) and, since
 * `$select` absent or `*` means "every property of the type", never served either. Entries that
 * name nothing declared change nothing.
 */
export function modelWithout(unknown: readonly string[]): Model {
  if (unknown.length === 0) return DECLARED_MODEL;
  const removed = new Set(unknown);
  const views = new Map<TypeName, EntityType>();
  return (name) => {
    const known = views.get(name) ?? withoutNames(ENTITY_TYPES[name], removed);
    views.set(name, known);
    return known;
  };
}

function withoutNames(type: EntityType, removed: ReadonlySet<string>): EntityType {
  const kept = (name: string) => !removed.has(`${type.name}.${name}`);
  const properties = type.properties.filter((p) => kept(p.name));
  return {
    name: type.name,
    properties,
    propertyByName: new Map(properties.map((p) => [p.name, p])),
    navigationByName: new Map([...type.navigationByName].filter(([name]) => kept(name))),
  };
}

/**
 * The 403 for a name `type` does not have. The client sees only the message; the log's detail
 * also says when the name is declared but removed by `unknownProperties`, so a forgotten setting
 * is easy to spot.
 */
function unknownName(type: EntityType, name: string, detail: string): ODataError {
  const declared = ENTITY_TYPES[type.name];
  const removed = (declared.propertyByName.has(name) || declared.navigationByName.has(name)) &&
    !type.propertyByName.has(name) && !type.navigationByName.has(name);
  return forbidden(removed ? `${detail} (removed by setting unknownProperties)` : detail);
}

/** `where` names the option for messages and the request log, e.g. "$select" or "$expand=Contact($filter)". */
export function bindQuery(name: TypeName, options: QueryOptions, model: Model, where = ""): BoundQuery {
  const type = model(name);
  const at = (option: string) => (where ? `${where}(${option})` : option);
  return {
    type,
    select: bindSelect(type, options.select, at("$select")),
    expand: bindExpand(model, type, options.expand, at("$expand")),
    filter: options.filter ? bindFilter(model, type, options.filter, at("$filter")) : null,
    orderby: options.orderby.map((item) => bindOrder(model, type, item, at("$orderby"))),
    top: options.top,
    skip: options.skip,
    count: options.count,
  };
}

function bindSelect(type: EntityType, select: QueryOptions["select"], where: string): readonly PropertyDef[] {
  if (select === null || select.some((path) => path[0] === "*")) return type.properties;
  const chosen = new Set<string>();
  for (const path of select) {
    const name = path.join("/");
    if (path.length !== 1 || !type.propertyByName.has(name)) {
      const what = type.navigationByName.has(name) ? "a navigation (use $expand)" : "not a property";
      throw unknownName(type, name, `${where}: '${name}' is ${what} of ${type.name}`);
    }
    chosen.add(name);
  }
  // Keys come back in the declared order, whatever the order in $select.
  return type.properties.filter((p) => chosen.has(p.name));
}

function bindExpand(model: Model, type: EntityType, items: readonly ExpandItem[], where: string): BoundExpand[] {
  const seen = new Set<string>();
  return items.map((item) => {
    const name = item.navigation.join("/");
    const navigation = item.navigation.length === 1 ? type.navigationByName.get(name) : undefined;
    if (!navigation) throw unknownName(type, name, `${where}: '${name}' is not a navigation of ${type.name}`);
    if (seen.has(name)) throw badRequest(`${where}: '${name}' is expanded more than once`);
    seen.add(name);
    const nested = bindQuery(navigation.target, item.options, model, `${where}=${name}`);
    const collectionOnly = nested.filter || nested.orderby.length > 0 || nested.top !== null || nested.skip !== null;
    if (!navigation.many && collectionOnly) {
      throw badRequest(`${where}=${name}: $filter, $orderby, $top and $skip apply only to collection navigations`);
    }
    return { navigation, query: nested };
  });
}

function bindOrder(model: Model, type: EntityType, item: OrderItem, where: string): BoundOrder {
  return { path: bindPath(model, type, item.segments, where), descending: item.descending };
}

/** Resolves `Nav/Nav/Property`: every segment but the last must be a single-valued navigation. */
function bindPath(model: Model, type: EntityType, segments: readonly string[], where: string): BoundPath {
  const navigations: SingleNavigation[] = [];
  let current = type;
  segments.forEach((segment, i) => {
    if (i === segments.length - 1) return;
    const navigation = current.navigationByName.get(segment);
    if (!navigation) {
      throw unknownName(current, segment, `${where}: '${segment}' is not a navigation of ${current.name}`);
    }
    if (navigation.many) {
      throw badRequest(
        `${where}: '${
          segments.join("/")
        }' goes through the collection '${segment}'; the simulator does not support any/all`,
      );
    }
    navigations.push(navigation);
    current = model(navigation.target);
  });
  const last = segments[segments.length - 1] ?? "";
  const property = current.propertyByName.get(last);
  if (!property) {
    if (current.navigationByName.has(last)) {
      throw badRequest(`${where}: navigation '${last}' cannot be used as a value`);
    }
    throw unknownName(current, last, `${where}: '${last}' is not a property of ${current.name}`);
  }
  return { navigations, property, type: TYPE_OF_PROPERTY[property.type] };
}

function bindFilter(model: Model, type: EntityType, expr: Expr, where: string): BoundExpr {
  const bound = bindExpr(model, type, expr, where);
  if (bound.type !== "boolean") throw badRequest(`${where}: the expression must be true or false, not a ${bound.type}`);
  return bound;
}

function bindExpr(model: Model, type: EntityType, expr: Expr, where: string): BoundExpr {
  switch (expr.kind) {
    case "logical": {
      const left = requireBoolean(bindExpr(model, type, expr.left, where), expr.op, where);
      const right = requireBoolean(bindExpr(model, type, expr.right, where), expr.op, where);
      return { kind: "logical", op: expr.op, left, right, type: "boolean" };
    }
    case "not":
      return {
        kind: "not",
        operand: requireBoolean(bindExpr(model, type, expr.operand, where), "not", where),
        type: "boolean",
      };
    case "compare": {
      const left = bindExpr(model, type, expr.left, where);
      const right = bindExpr(model, type, expr.right, where);
      if (left.type !== "null" && right.type !== "null" && left.type !== right.type) {
        throw badRequest(
          `${where}: operator '${expr.op}' at position ${
            expr.pos + 1
          } compares incompatible types ${left.type} and ${right.type}`,
        );
      }
      const operandType = left.type === "null" ? right.type : left.type;
      return { kind: "compare", op: expr.op, left, right, operandType, type: "boolean" };
    }
    case "literal":
      return literalOf(expr.value);
    case "path": {
      const path = bindPath(model, type, expr.segments, where);
      return { kind: "property", path, type: path.type };
    }
    case "call":
      return bindCall(model, type, expr, where);
  }
}

function bindCall(model: Model, type: EntityType, expr: Expr & { kind: "call" }, where: string): BoundExpr {
  if (!Object.hasOwn(FUNCTIONS, expr.name)) {
    throw badRequest(`${where}: unknown function '${expr.name}' at position ${expr.pos + 1}`);
  }
  const name = expr.name as FunctionName;
  const signature = FUNCTIONS[name];
  if (expr.args.length !== signature.args.length) {
    throw badRequest(`${where}: ${name} takes ${signature.args.length} argument(s), got ${expr.args.length}`);
  }
  const args = expr.args.map((arg, i) => {
    const bound = bindExpr(model, type, arg, where);
    if (bound.type !== signature.args[i] && bound.type !== "null") {
      throw badRequest(`${where}: argument ${i + 1} of ${name} must be a ${signature.args[i]}, not a ${bound.type}`);
    }
    return bound;
  });
  return { kind: "call", name, args, type: signature.result };
}

function requireBoolean(expr: BoundExpr, operator: string, where: string): BoundExpr {
  if (expr.type !== "boolean") {
    throw badRequest(`${where}: '${operator}' needs true/false operands, got a ${expr.type}`);
  }
  return expr;
}

function literalOf(literal: Literal): BoundExpr {
  switch (literal.type) {
    case "null":
      return { kind: "literal", value: null, type: "null" };
    case "boolean":
      return { kind: "literal", value: literal.value, type: "boolean" };
    case "number":
      return { kind: "literal", value: literal.value, type: "number" };
    case "string":
      return { kind: "literal", value: literal.value, type: "string" };
    case "datetime":
      return { kind: "literal", value: literal.value, type: "datetime" };
  }
}
