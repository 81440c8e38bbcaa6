// Reads the OData system query options of a request — $select, $filter, $expand (with nested
// `(opt=…;opt=…)` options), $orderby, $top, $skip, $count — into a syntax tree. Only syntax is
// checked here (400); whether the names exist is decided against the model by the binder.

import { badRequest } from "../errors.ts";
import { type Expr, type OrderItem, parseFilter, parseOrderBy, parseSelect } from "./parser.ts";

export interface ExpandItem {
  readonly navigation: readonly string[];
  readonly options: QueryOptions;
}

export interface QueryOptions {
  /** null: no $select, every property is returned. */
  readonly select: readonly (readonly string[])[] | null;
  readonly expand: readonly ExpandItem[];
  readonly filter: Expr | null;
  readonly orderby: readonly OrderItem[];
  readonly top: number | null;
  readonly skip: number | null;
  readonly count: boolean;
}

const TOP_LEVEL_OPTIONS = new Set(["$select", "$filter", "$expand", "$orderby", "$top", "$skip", "$count"]);
const NESTED_OPTIONS = new Set(["$select", "$filter", "$expand", "$orderby", "$top", "$skip"]);

/**
 * Parses the options of a request. Unknown `$`-options are refused (400), as ASP.NET OData does;
 * parameters without `$` are not OData's business and are ignored.
 */
export function parseQueryOptions(params: URLSearchParams): QueryOptions {
  const values = new Map<string, string>();
  for (const [name, value] of params) {
    if (!name.startsWith("$")) continue;
    if (!TOP_LEVEL_OPTIONS.has(name)) throw badRequest(`The query parameter '${name}' is not supported`);
    if (values.has(name)) throw badRequest(`The query parameter '${name}' is specified more than once`);
    values.set(name, value);
  }
  return buildOptions(values, "");
}

function buildOptions(values: ReadonlyMap<string, string>, context: string): QueryOptions {
  const at = (name: string) => (context ? `${name} (inside $expand=${context})` : name);
  const select = values.get("$select");
  const filter = values.get("$filter");
  const expand = values.get("$expand");
  const orderby = values.get("$orderby");
  return {
    select: select === undefined ? null : parseSelect(requireValue(select, at("$select")), at("$select")),
    filter: filter === undefined ? null : parseFilter(requireValue(filter, at("$filter")), at("$filter")),
    expand: expand === undefined ? [] : parseExpand(requireValue(expand, at("$expand")), at("$expand")),
    orderby: orderby === undefined ? [] : parseOrderBy(requireValue(orderby, at("$orderby")), at("$orderby")),
    top: parseCount(values.get("$top"), at("$top")),
    skip: parseCount(values.get("$skip"), at("$skip")),
    count: parseBoolean(values.get("$count"), at("$count")),
  };
}

function requireValue(value: string, option: string): string {
  if (value.trim() === "") throw badRequest(`The query parameter ${option} has an empty value`);
  return value;
}

function parseCount(value: string | undefined, option: string): number | null {
  if (value === undefined) return null;
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw badRequest(`Invalid value '${value}' for ${option}: expected a non-negative integer`);
  }
  return Number(value);
}

function parseBoolean(value: string | undefined, option: string): boolean {
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  throw badRequest(`Invalid value '${value}' for ${option}: expected true or false`);
}

/**
 * `$expand=Contact($select=Id,Name),Products($filter=Discount gt 0;$expand=Product)`: items
 * separated by top-level commas, each a navigation with optional `;`-separated options.
 */
function parseExpand(text: string, option: string): ExpandItem[] {
  return splitTopLevel(text, ",", option).map((raw) => {
    const item = raw.trim();
    const open = item.indexOf("(");
    const name = (open === -1 ? item : item.slice(0, open)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/.test(name)) {
      throw badRequest(`Syntax error in ${option}: '${item}' is not a navigation property name`);
    }
    if (open === -1) return { navigation: name.split("/"), options: buildOptions(new Map(), name) };
    if (!item.endsWith(")")) throw badRequest(`Syntax error in ${option}: missing ')' after the options of '${name}'`);
    return { navigation: name.split("/"), options: parseNestedOptions(item.slice(open + 1, -1), name, option) };
  });
}

function parseNestedOptions(text: string, navigation: string, option: string): QueryOptions {
  const values = new Map<string, string>();
  for (const raw of splitTopLevel(text, ";", option)) {
    const part = raw.trim();
    const eq = part.indexOf("=");
    const name = eq === -1 ? part : part.slice(0, eq).trim();
    if (eq === -1 || !name.startsWith("$")) {
      throw badRequest(`Syntax error in ${option}: expected '$option=value' inside ${navigation}(…), found '${part}'`);
    }
    if (!NESTED_OPTIONS.has(name)) {
      throw badRequest(`The query option '${name}' is not supported inside $expand=${navigation}(…)`);
    }
    if (values.has(name)) {
      throw badRequest(`The query option '${name}' is specified more than once inside $expand=${navigation}(…)`);
    }
    values.set(name, part.slice(eq + 1));
  }
  return buildOptions(values, navigation);
}

/** Splits on `separator` outside parentheses and string literals; unbalanced input is a 400. */
function splitTopLevel(text: string, separator: string, option: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    // A doubled quote inside a string toggles twice, so it needs no special case.
    if (ch === "'") inString = !inString;
    else if (inString) continue;
    else if (ch === "(") depth++;
    else if (ch === ")") {
      depth--;
      if (depth < 0) throw badRequest(`Syntax error in ${option}: unbalanced ')' at position ${i + 1} (in '${text}')`);
    } else if (ch === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (inString) throw badRequest(`Syntax error in ${option}: unterminated string literal (in '${text}')`);
  if (depth !== 0) throw badRequest(`Syntax error in ${option}: missing ')' (in '${text}')`);
  parts.push(text.slice(start));
  if (parts.some((p) => p.trim() === "")) throw badRequest(`Syntax error in ${option}: empty item (in '${text}')`);
  return parts;
}
