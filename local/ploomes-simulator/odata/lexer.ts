// Tokenizer for OData expressions ($filter, $orderby, $select). It turns the decoded text into
// identifiers, string/number/datetime literals and punctuation, with positions for error
// messages. Keywords (eq, and, null, …) stay identifiers; the parser decides by context.

import { badRequest } from "../errors.ts";
import { type Instant, MAX_FRACTION_DIGITS, parseInstant } from "../instant.ts";

export type Token =
  | { readonly kind: "identifier"; readonly text: string; readonly pos: number }
  | { readonly kind: "string"; readonly value: string; readonly text: string; readonly pos: number }
  | { readonly kind: "number"; readonly value: number; readonly text: string; readonly pos: number }
  | { readonly kind: "datetime"; readonly value: Instant; readonly text: string; readonly pos: number }
  | { readonly kind: "punct"; readonly text: "(" | ")" | "," | "/" | ":" | "*"; readonly pos: number }
  | { readonly kind: "eof"; readonly text: ""; readonly pos: number };

const PUNCTUATION = new Set(["(", ")", ",", "/", ":", "*"]);
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const DATE_PREFIX = /\d{4}-\d{2}-\d{2}/y;
const DATETIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?/y;
const WORD_CHAR = /[A-Za-z0-9_.]/;

/** Splits `text` (the decoded value of the `option` query parameter) into tokens. */
export function tokenize(text: string, option: string): Token[] {
  const tokens: Token[] = [];
  const fail = (pos: number, message: string) =>
    badRequest(`Syntax error in ${option} at position ${pos + 1}: ${message} (in '${text}')`);
  let pos = 0;
  while (pos < text.length) {
    const ch = text.charAt(pos);
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      pos++;
    } else if (PUNCTUATION.has(ch)) {
      tokens.push({ kind: "punct", text: ch as "(" | ")" | "," | "/" | ":" | "*", pos });
      pos++;
    } else if (ch === "'") {
      const { value, end } = readString(text, pos, () => fail(pos, "unterminated string literal"));
      tokens.push({ kind: "string", value, text: text.slice(pos, end), pos });
      pos = end;
    } else if (/[0-9]/.test(ch) || (ch === "-" && /[0-9]/.test(text.charAt(pos + 1)))) {
      const token = readNumberOrDate(text, pos, fail);
      tokens.push(token);
      pos += token.text.length;
    } else if (/[A-Za-z_]/.test(ch)) {
      IDENTIFIER.lastIndex = pos;
      const word = IDENTIFIER.exec(text)?.[0] ?? ch;
      tokens.push({ kind: "identifier", text: word, pos });
      pos += word.length;
    } else {
      throw fail(pos, `unexpected character '${ch}'`);
    }
  }
  tokens.push({ kind: "eof", text: "", pos: text.length });
  return tokens;
}

/** Reads a single-quoted string where '' stands for one quote. */
function readString(text: string, start: number, unterminated: () => Error): { value: string; end: number } {
  let value = "";
  let pos = start + 1;
  for (;;) {
    const quote = text.indexOf("'", pos);
    if (quote === -1) throw unterminated();
    value += text.slice(pos, quote);
    if (text.charAt(quote + 1) === "'") {
      value += "'";
      pos = quote + 2;
    } else {
      return { value, end: quote + 1 };
    }
  }
}

function readNumberOrDate(text: string, pos: number, fail: (pos: number, message: string) => Error): Token {
  DATE_PREFIX.lastIndex = pos;
  if (DATE_PREFIX.test(text)) {
    DATETIME.lastIndex = pos;
    const literal = DATETIME.exec(text)?.[0];
    if (literal === undefined) {
      throw fail(
        pos,
        `date literal '${text.slice(pos, pos + 10)}' has no time; write a full datetime with an offset, e.g. ${
          text.slice(pos, pos + 10)
        }T00:00:00-03:00`,
      );
    }
    checkFollowing(text, pos + literal.length, fail);
    if (!/(?:Z|[+-]\d{2}:\d{2})$/.test(literal)) {
      throw fail(
        pos,
        `datetime literal '${literal}' has no offset (Z or ±hh:mm); note that an unencoded '+' in a URL decodes to a space, so send '+' as %2B`,
      );
    }
    const fraction = /\.(\d+)/.exec(literal)?.[1] ?? "";
    if (fraction.length > MAX_FRACTION_DIGITS) {
      throw fail(pos, `datetime literal '${literal}' has more than ${MAX_FRACTION_DIGITS} fractional digits`);
    }
    const value = parseInstant(literal);
    if (!value) throw fail(pos, `datetime literal '${literal}' is not a valid date and time`);
    return { kind: "datetime", value, text: literal, pos };
  }
  NUMBER.lastIndex = pos;
  const literal = NUMBER.exec(text)?.[0] ?? "";
  checkFollowing(text, pos + literal.length, fail);
  const value = Number(literal);
  if (!Number.isFinite(value)) throw fail(pos, `number literal '${literal}' is out of range`);
  return { kind: "number", value, text: literal, pos };
}

/** `123abc` or `1.5M` are not numbers followed by a name: refuse them as one bad token. */
function checkFollowing(text: string, end: number, fail: (pos: number, message: string) => Error): void {
  if (end < text.length && WORD_CHAR.test(text.charAt(end))) {
    throw fail(end, `unexpected character '${text.charAt(end)}' after a literal`);
  }
}
