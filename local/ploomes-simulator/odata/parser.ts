// Recursive-descent parser for OData expressions, built on the lexer. It produces a syntax tree
// and reports malformed input as 400 with the position; it knows nothing about entity types
// (unknown names are the binder's job, which answers 403 as Ploomes does).
//
// Precedence follows the OData ABNF, lowest first: or, and, comparison (eq ne gt ge lt le),
// unary not, primary. So `not Id eq 5` means `(not Id) eq 5` (a type error, as in OData);
// write `not (Id eq 5)`.

import { badRequest } from "../errors.ts";
import type { Instant } from "../instant.ts";
import { type Token, tokenize } from "./lexer.ts";

export type CompareOp = "eq" | "ne" | "gt" | "ge" | "lt" | "le";
export const COMPARE_OPS: ReadonlySet<string> = new Set<CompareOp>(["eq", "ne", "gt", "ge", "lt", "le"]);
const RESERVED = new Set(["and", "or", "not", ...COMPARE_OPS, "asc", "desc"]);

export type Literal =
  | { readonly type: "null" }
  | { readonly type: "boolean"; readonly value: boolean }
  | { readonly type: "number"; readonly value: number }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "datetime"; readonly value: Instant; readonly text: string };

export type Expr =
  | { readonly kind: "logical"; readonly op: "and" | "or"; readonly left: Expr; readonly right: Expr }
  | { readonly kind: "not"; readonly operand: Expr; readonly pos: number }
  | {
    readonly kind: "compare";
    readonly op: CompareOp;
    readonly left: Expr;
    readonly right: Expr;
    readonly pos: number;
  }
  | { readonly kind: "literal"; readonly value: Literal; readonly pos: number }
  | { readonly kind: "path"; readonly segments: readonly string[]; readonly pos: number }
  | { readonly kind: "call"; readonly name: string; readonly args: readonly Expr[]; readonly pos: number };

export interface OrderItem {
  readonly segments: readonly string[];
  readonly descending: boolean;
}

/** A cursor over tokens with the error helpers every grammar below shares. */
class Tokens {
  private index = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly option: string,
    private readonly source: string,
  ) {}

  peek(offset = 0): Token {
    const token = this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
    if (!token) throw new Error("token stream without an eof token");
    return token;
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== "eof") this.index++;
    return token;
  }

  isWord(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === "identifier" && token.text === word;
  }

  isPunct(text: string): boolean {
    const token = this.peek();
    return token.kind === "punct" && token.text === text;
  }

  expectPunct(text: string): void {
    if (!this.isPunct(text)) throw this.error(this.peek(), `expected '${text}'`);
    this.next();
  }

  identifier(what: string): string {
    const token = this.next();
    if (token.kind !== "identifier") throw this.error(token, `expected ${what}`);
    return token.text;
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== "eof") throw this.error(token, "unexpected token after the end of the expression");
  }

  error(token: Token, message: string): Error {
    const found = token.kind === "eof" ? "end of input" : `'${token.text}'`;
    return badRequest(
      `Syntax error in ${this.option} at position ${token.pos + 1}: ${message}, found ${found} (in '${this.source}')`,
    );
  }
}

export function parseFilter(text: string, option = "$filter"): Expr {
  const tokens = new Tokens(tokenize(text, option), option, text);
  const expr = parseOr(tokens);
  tokens.expectEnd();
  return expr;
}

function parseOr(t: Tokens): Expr {
  let left = parseAnd(t);
  while (t.isWord("or")) {
    t.next();
    left = { kind: "logical", op: "or", left, right: parseAnd(t) };
  }
  return left;
}

function parseAnd(t: Tokens): Expr {
  let left = parseComparison(t);
  while (t.isWord("and")) {
    t.next();
    left = { kind: "logical", op: "and", left, right: parseComparison(t) };
  }
  return left;
}

function parseComparison(t: Tokens): Expr {
  const left = parseUnary(t);
  const token = t.peek();
  if (token.kind === "identifier" && COMPARE_OPS.has(token.text)) {
    t.next();
    return { kind: "compare", op: token.text as CompareOp, left, right: parseUnary(t), pos: token.pos };
  }
  return left;
}

function parseUnary(t: Tokens): Expr {
  const token = t.peek();
  if (token.kind === "identifier" && token.text === "not") {
    t.next();
    return { kind: "not", operand: parseUnary(t), pos: token.pos };
  }
  return parsePrimary(t);
}

function parsePrimary(t: Tokens): Expr {
  const token = t.next();
  switch (token.kind) {
    case "string":
      return { kind: "literal", value: { type: "string", value: token.value }, pos: token.pos };
    case "number":
      return { kind: "literal", value: { type: "number", value: token.value }, pos: token.pos };
    case "datetime":
      return { kind: "literal", value: { type: "datetime", value: token.value, text: token.text }, pos: token.pos };
    case "punct":
      if (token.text === "(") {
        const inner = parseOr(t);
        t.expectPunct(")");
        return inner;
      }
      throw t.error(token, "expected a value, a property or '('");
    case "eof":
      throw t.error(token, "expected a value, a property or '('");
    case "identifier":
      return parseWord(t, token);
  }
}

function parseWord(t: Tokens, token: Token & { kind: "identifier" }): Expr {
  if (token.text === "null") return { kind: "literal", value: { type: "null" }, pos: token.pos };
  if (token.text === "true" || token.text === "false") {
    return { kind: "literal", value: { type: "boolean", value: token.text === "true" }, pos: token.pos };
  }
  if (RESERVED.has(token.text)) throw t.error(token, "expected a value, a property or '('");
  if (t.isPunct("(")) {
    t.next();
    const args: Expr[] = [];
    if (!t.isPunct(")")) {
      args.push(parseOr(t));
      while (t.isPunct(",")) {
        t.next();
        args.push(parseOr(t));
      }
    }
    t.expectPunct(")");
    return { kind: "call", name: token.text, args, pos: token.pos };
  }
  const segments = [token.text];
  while (t.isPunct("/")) {
    t.next();
    const segment = t.peek();
    if (
      (segment.kind === "identifier" && (segment.text === "any" || segment.text === "all")) &&
      t.peek(1).kind === "punct" && t.peek(1).text === "("
    ) {
      throw badRequest(
        `Lambda operators (${segments.join("/")}/${segment.text}(…)) are not supported by the simulator`,
      );
    }
    segments.push(t.identifier("a property name after '/'"));
  }
  return { kind: "path", segments, pos: token.pos };
}

/** `$orderby`: `path [asc|desc] (, path [asc|desc])*`. */
export function parseOrderBy(text: string, option = "$orderby"): OrderItem[] {
  const t = new Tokens(tokenize(text, option), option, text);
  const items: OrderItem[] = [];
  do {
    if (items.length > 0) t.next();
    const segments = parsePath(t);
    let descending = false;
    if (t.isWord("asc") || t.isWord("desc")) descending = t.next().text === "desc";
    items.push({ segments, descending });
  } while (t.isPunct(","));
  t.expectEnd();
  return items;
}

/** `$select`: `*` or `path (, path)*`. Paths are returned as written; the binder judges them. */
export function parseSelect(text: string, option = "$select"): (readonly string[])[] {
  const t = new Tokens(tokenize(text, option), option, text);
  const items: (readonly string[])[] = [];
  do {
    if (items.length > 0) t.next();
    if (t.isPunct("*")) {
      t.next();
      items.push(["*"]);
    } else {
      items.push(parsePath(t));
    }
  } while (t.isPunct(","));
  t.expectEnd();
  return items;
}

function parsePath(t: Tokens): string[] {
  const first = t.peek();
  if (first.kind === "identifier" && RESERVED.has(first.text)) throw t.error(first, "expected a property name");
  const segments = [t.identifier("a property name")];
  while (t.isPunct("/")) {
    t.next();
    segments.push(t.identifier("a property name after '/'"));
  }
  return segments;
}
