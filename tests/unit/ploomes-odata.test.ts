import { describe, expect, it } from "vitest";
import {
  buildDealsExpand,
  buildFullDealsQuery,
  buildIncrementalDealsQuery,
  encodeQueryValue,
} from "../../supabase/functions/_shared/ploomes/odata.ts";

const SELECT = "$select=Id,ContactId,ContactName,StatusId,Amount,FinishDate,LastUpdateDate,CreateDate";
const EXPAND_CONTACT = "Contact($select=Id,Name,TypeId,CNPJ,CPF)";
const EXPAND_PRODUCTS =
  "Products($select=Id,ProductId,Quantity,UnitPrice,Discount,Total;$expand=Product($select=Id,UnitPrice))";
const WITH_PRODUCTS = { pageSize: 300, includeProducts: true };

/** Decodes one parameter the way a server would (URLSearchParams reads `+` as a space). */
function param(pathAndQuery: string, name: string): string | null {
  return new URL(`https://x${pathAndQuery}`).searchParams.get(name);
}

describe("full pass queries", () => {
  it("first page: no filter, ordered by Id", () => {
    expect(buildFullDealsQuery({ lastId: null }, WITH_PRODUCTS)).toBe(
      `/Deals?$orderby=Id&$top=300&${SELECT}&$expand=${EXPAND_CONTACT},${EXPAND_PRODUCTS}`,
    );
  });

  it("next page: Id gt <lastId>, spaces as %20", () => {
    expect(buildFullDealsQuery({ lastId: 500143686 }, { pageSize: 50, includeProducts: false })).toBe(
      `/Deals?$filter=Id%20gt%20500143686&$orderby=Id&$top=50&${SELECT}&$expand=${EXPAND_CONTACT}`,
    );
  });

  it("rejects ids that are not safe integers and bad page sizes", () => {
    expect(() => buildFullDealsQuery({ lastId: 1.5 }, WITH_PRODUCTS)).toThrow(/safe integer/);
    expect(() => buildFullDealsQuery({ lastId: 2 ** 53 }, WITH_PRODUCTS)).toThrow(/safe integer/);
    expect(() => buildFullDealsQuery({ lastId: null }, { pageSize: 301, includeProducts: true })).toThrow(/1\.\.300/);
    expect(() => buildFullDealsQuery({ lastId: null }, { pageSize: 0, includeProducts: true })).toThrow(/1\.\.300/);
  });
});

describe("incremental pass queries", () => {
  it("first page: LastUpdateDate ge <since>, ordered by LastUpdateDate,Id", () => {
    expect(buildIncrementalDealsQuery({ since: "2024-05-02T10:11:12-03:00" }, WITH_PRODUCTS)).toBe(
      `/Deals?$filter=LastUpdateDate%20ge%202024-05-02T10:11:12-03:00&$orderby=LastUpdateDate,Id&$top=300&${SELECT}` +
        `&$expand=${EXPAND_CONTACT},${EXPAND_PRODUCTS}`,
    );
  });

  it("next page: keyset on the raw pair, 7 fractional digits preserved", () => {
    const raw = "2023-03-07T12:39:44.9571234-03:00";
    const query = buildIncrementalDealsQuery({ lastUpdateDate: raw, lastId: 42 }, WITH_PRODUCTS);
    expect(query).toContain(
      "$filter=LastUpdateDate%20gt%202023-03-07T12:39:44.9571234-03:00%20or%20" +
        "(LastUpdateDate%20eq%202023-03-07T12:39:44.9571234-03:00%20and%20Id%20gt%2042)&",
    );
    expect(param(query, "$filter")).toBe(`LastUpdateDate gt ${raw} or (LastUpdateDate eq ${raw} and Id gt 42)`);
  });

  it("encodes + in an offset as %2B so the server does not read a space", () => {
    const query = buildIncrementalDealsQuery({ since: "2024-01-01T00:00:00.5+02:00" }, WITH_PRODUCTS);
    expect(query).toContain("$filter=LastUpdateDate%20ge%202024-01-01T00:00:00.5%2B02:00&");
    expect(param(query, "$filter")).toBe("LastUpdateDate ge 2024-01-01T00:00:00.5+02:00");
  });

  it("accepts Z and rejects date-only, offset-less and over-precise literals", () => {
    expect(param(buildIncrementalDealsQuery({ since: "2024-01-01T00:00:00Z" }, WITH_PRODUCTS), "$filter")).toBe(
      "LastUpdateDate ge 2024-01-01T00:00:00Z",
    );
    for (
      const bad of [
        "2024-01-01",
        "2024-01-01T00:00:00",
        "2024-01-01T00:00:00.12345678Z",
        "2024-01-01T00:00:00Z or Id gt 0",
      ]
    ) {
      expect(() => buildIncrementalDealsQuery({ since: bad }, WITH_PRODUCTS)).toThrow(/ISO-8601/);
    }
    expect(() =>
      buildIncrementalDealsQuery({ lastUpdateDate: "2024-01-01T00:00:00Z", lastId: Number.NaN }, WITH_PRODUCTS)
    ).toThrow(
      /safe integer/,
    );
  });
});

describe("query parts", () => {
  it("expand with and without products", () => {
    expect(buildDealsExpand(false)).toBe(EXPAND_CONTACT);
    expect(buildDealsExpand(true)).toBe(`${EXPAND_CONTACT},${EXPAND_PRODUCTS}`);
  });

  it("every parameter decodes back to its intended value", () => {
    const query = buildFullDealsQuery({ lastId: 7 }, WITH_PRODUCTS);
    expect(param(query, "$expand")).toBe(`${EXPAND_CONTACT},${EXPAND_PRODUCTS}`);
    expect(param(query, "$select")).toBe(SELECT.slice("$select=".length));
    expect(param(query, "$orderby")).toBe("Id");
    expect(param(query, "$top")).toBe("300");
  });

  it("encodeQueryValue escapes separators but keeps OData punctuation readable", () => {
    expect(encodeQueryValue("a b+c&d#e%f")).toBe("a%20b%2Bc%26d%23e%25f");
    expect(encodeQueryValue("X($select=A,B;$expand=C)")).toBe("X($select=A,B;$expand=C)");
    expect(encodeQueryValue("Name eq 'O''Brien'")).toBe("Name%20eq%20'O''Brien'");
  });
});
