// The OData expression parser on its own: precedence, literals (escaped strings, datetimes with
// Z or offsets and 0–7 fractional digits, negative numbers), paths and functions, and the
// positions it reports for malformed input.

import { describe, expect, it } from "vitest";
import { ODataError } from "../../local/ploomes-simulator/errors.ts";
import { type Expr, parseFilter, parseOrderBy, parseSelect } from "../../local/ploomes-simulator/odata/parser.ts";

/** A compact rendering of the tree, so expectations stay readable. */
function show(expr: Expr): string {
  switch (expr.kind) {
    case "logical":
      return `(${show(expr.left)} ${expr.op} ${show(expr.right)})`;
    case "not":
      return `(not ${show(expr.operand)})`;
    case "compare":
      return `[${show(expr.left)} ${expr.op} ${show(expr.right)}]`;
    case "path":
      return expr.segments.join("/");
    case "call":
      return `${expr.name}(${expr.args.map(show).join(",")})`;
    case "literal": {
      const v = expr.value;
      if (v.type === "null") return "null";
      if (v.type === "string") return JSON.stringify(v.value);
      if (v.type === "datetime") return `@${v.value.seconds}.${v.value.ticks}`;
      return String(v.value);
    }
  }
}

const errorOf = (run: () => unknown): ODataError => {
  try {
    run();
  } catch (error) {
    if (error instanceof ODataError) return error;
    throw error;
  }
  throw new Error("expected an ODataError");
};

describe("$filter parser", () => {
  it.each([
    ["a eq 1 or b eq 2 and c eq 3", "([a eq 1] or ([b eq 2] and [c eq 3]))"],
    ["(a eq 1 or b eq 2) and c eq 3", "(([a eq 1] or [b eq 2]) and [c eq 3])"],
    ["not (a eq 1) and b", "((not [a eq 1]) and b)"],
    ["not a eq true", "[(not a) eq true]"],
    ["Amount ge -12.5", "[Amount ge -12.5]"],
    ["Title eq 'it''s'", '[Title eq "it\'s"]'],
    ["Contact/Name ne null", "[Contact/Name ne null]"],
    ["contains(tolower(Name),'ltda')", 'contains(tolower(Name),"ltda")'],
    [
      "LastUpdateDate gt X or (LastUpdateDate eq X and Id gt 5)".replaceAll("X", "2024-05-02T10:11:12.5-03:00"),
      "([LastUpdateDate gt @1714655472.5000000] or ([LastUpdateDate eq @1714655472.5000000] and [Id gt 5]))",
    ],
  ])("%s", (text, expected) => {
    expect(show(parseFilter(text))).toBe(expected);
  });

  it("reads datetimes as instants: offsets, Z and 0–7 fractional digits", () => {
    const instant = (text: string) => show(parseFilter(`d eq ${text}`));
    expect(instant("2023-03-07T12:39:44.957-03:00")).toBe(instant("2023-03-07T15:39:44.957Z"));
    expect(instant("2023-03-07T12:39:44.9570000-03:00")).toBe(instant("2023-03-07T12:39:44.957-03:00"));
    expect(instant("2022-12-15T14:59:45.1234567+02:00")).toBe("[d eq @1671109185.1234567]");
    expect(instant("2023-03-23T00:00:00-03:00")).toBe(instant("2023-03-23T03:00Z"));
  });

  it.each([
    ["Id eq", 6],
    ["Id eq 1 )", 9],
    ["Id eq 'abc", 7],
    ["Id eq 12abc", 9],
    ["Id eq 1 eq 2", 9],
    ["Id # 1", 4],
  ])("reports the position of the error in %s", (text, position) => {
    const error = errorOf(() => parseFilter(text));
    expect(error.status).toBe(400);
    expect(error.message).toContain(`position ${position}`);
  });

  it("refuses impossible dates and lambdas with a 400", () => {
    expect(errorOf(() => parseFilter("d eq 2023-02-30T00:00:00Z")).status).toBe(400);
    expect(errorOf(() => parseFilter("d eq 2023-01-01T00:00:00.12345678Z")).message).toContain("7 fractional digits");
    expect(errorOf(() => parseFilter("Tags/any(t: t/Id eq 1)")).message).toContain("Lambda operators");
  });
});

describe("$orderby and $select parsers", () => {
  it("reads several keys with directions", () => {
    expect(parseOrderBy("LastUpdateDate desc, Id")).toEqual([
      { segments: ["LastUpdateDate"], descending: true },
      { segments: ["Id"], descending: false },
    ]);
  });

  it("reads select lists, paths and *", () => {
    expect(parseSelect("Id, Title,Contact/Name")).toEqual([["Id"], ["Title"], ["Contact", "Name"]]);
    expect(parseSelect("*")).toEqual([["*"]]);
    expect(errorOf(() => parseSelect("Id,,Title")).status).toBe(400);
  });
});
