// Pure builders of the OData query strings for the collections the sync pages: Deals, and the
// Orders or Quotes that may carry the line items (ploomes/documents.ts).
// Paging is keyset-only (never a growing $skip): a full pass walks `Id`, an incremental pass
// walks the pair (LastUpdateDate, Id). Date positions are the RAW strings Ploomes returned
// (up to 7 fractional digits), because re-formatting through Date would drop digits and then
// `eq X` never matches and `gt X` returns the same deal forever.

import { isPloomesDateTime } from "./iso-date.ts";

export const DEALS_PATH = "/Deals";
/** Ploomes returns at most 300 records per page for Deals. */
export const MAX_PAGE_SIZE = 300;
/** How much of a bad input an error message quotes. */
const QUOTED_INPUT_MAX = 64;

/** Exactly the deal fields the sync uses. Only real property names: an unknown one is a 403. */
export const DEAL_FIELDS = [
  "Id",
  "ContactId",
  "ContactName",
  "StatusId",
  "Amount",
  "FinishDate",
  "LastUpdateDate",
  "CreateDate",
] as const;
export const CONTACT_FIELDS = ["Id", "Name", "TypeId", "CNPJ", "CPF"] as const;
export const PRODUCT_LINE_FIELDS = ["Id", "ProductId", "Quantity", "UnitPrice", "Discount", "Total"] as const;
export const CATALOG_PRODUCT_FIELDS = ["Id", "UnitPrice"] as const;

/** Keyset position of a full pass: the last Id stored, or null before the first page. */
export interface FullPosition {
  readonly lastId: number | null;
}

/** Keyset position of an incremental pass: the starting watermark, or the last row stored. */
export type IncrementalPosition =
  | { readonly since: string }
  | { readonly lastUpdateDate: string; readonly lastId: number };

/** An entity set paged by keyset: its path, the fields it selects and its $expand. */
export interface Collection {
  readonly path: string;
  /** Only real property names: an unknown one is a 403. */
  readonly fields: readonly string[];
  readonly expand: (includeProducts: boolean) => string;
  /** What its rows are, for messages: "deals", "orders". */
  readonly noun: string;
}

export interface DealsQueryOptions {
  readonly pageSize: number;
  /** False drops `Products` from $expand (the fallback when Ploomes answers 403 to it). */
  readonly includeProducts: boolean;
  /** The collection to page; Deals when not given. */
  readonly collection?: Collection;
}

/**
 * Percent-encodes a query value but keeps the OData punctuation (`$ , ( ) ; = : ' / @`)
 * literal so URLs in logs stay readable. Spaces become `%20` (never `+`), and a literal `+`
 * (as in a `+02:00` offset) becomes `%2B`, because form decoders read `+` as a space.
 */
export function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/%(24|2C|3B|3D|3A|2F|40)/gi, (escape) => decodeURIComponent(escape));
}

/** `$expand` of the line items with their catalog price (deals, orders and quotes alike). */
export function buildLineItemsExpand(): string {
  const catalog = `Product($select=${CATALOG_PRODUCT_FIELDS.join(",")})`;
  return `Products($select=${PRODUCT_LINE_FIELDS.join(",")};$expand=${catalog})`;
}

/** `$expand` for the contact and (optionally) the line items with their catalog price. */
export function buildDealsExpand(includeProducts: boolean): string {
  const contact = `Contact($select=${CONTACT_FIELDS.join(",")})`;
  return includeProducts ? `${contact},${buildLineItemsExpand()}` : contact;
}

export const DEALS: Collection = { path: DEALS_PATH, fields: DEAL_FIELDS, expand: buildDealsExpand, noun: "deals" };

/** First or next page of a full pass (or of one of its Id ranges): `Id gt lastId and Id le upTo`, ordered by Id. */
export function buildFullDealsQuery(
  position: FullPosition,
  options: DealsQueryOptions,
  upTo: number | null = null,
): string {
  const bounds = [
    ...(position.lastId === null ? [] : [`Id gt ${requireId(position.lastId, "lastId")}`]),
    ...(upTo === null ? [] : [`Id le ${requireId(upTo, "upTo")}`]),
  ];
  return buildDealsQuery(bounds.length === 0 ? null : bounds.join(" and "), "Id", options);
}

/** The highest Id (one cheap request: the Id of the last row by Id), where a full pass's ranges end. */
export function buildMaxDealIdQuery(collection: Collection = DEALS): string {
  return `${collection.path}?$orderby=${encodeQueryValue("Id desc")}&$top=1&$select=Id`;
}

/**
 * First or next page of an incremental pass, ordered by (LastUpdateDate, Id).
 * First page: `LastUpdateDate ge <since>`. Next pages: strictly after the last row stored,
 * `LastUpdateDate gt X or (LastUpdateDate eq X and Id gt Y)`.
 */
export function buildIncrementalDealsQuery(position: IncrementalPosition, options: DealsQueryOptions): string {
  const filter = "since" in position
    ? `LastUpdateDate ge ${requireDateTime(position.since, "since")}`
    : keysetAfter(requireDateTime(position.lastUpdateDate, "lastUpdateDate"), requireId(position.lastId, "lastId"));
  return buildDealsQuery(filter, "LastUpdateDate,Id", options);
}

function keysetAfter(date: string, id: number): string {
  return `LastUpdateDate gt ${date} or (LastUpdateDate eq ${date} and Id gt ${id})`;
}

function buildDealsQuery(filter: string | null, orderBy: string, options: DealsQueryOptions): string {
  const params: [string, string][] = [];
  if (filter !== null) params.push(["$filter", filter]);
  const collection = options.collection ?? DEALS;
  params.push(
    ["$orderby", orderBy],
    ["$top", String(requirePageSize(options.pageSize))],
    ["$select", collection.fields.join(",")],
    ["$expand", collection.expand(options.includeProducts)],
  );
  return buildQuery(collection.path, params);
}

/** `path?name=value&…`, each value encoded by encodeQueryValue. */
export function buildQuery(path: string, params: readonly (readonly [string, string])[]): string {
  return `${path}?${params.map(([name, value]) => `${name}=${encodeQueryValue(value)}`).join("&")}`;
}

function requireId(id: number, name: string): number {
  if (!Number.isSafeInteger(id)) {
    throw new TypeError(`OData keyset: ${name} must be a safe integer, got ${String(id)}`);
  }
  return id;
}

function requireDateTime(raw: string, name: string): string {
  if (!isPloomesDateTime(raw)) {
    throw new TypeError(
      `OData keyset: ${name} must be an ISO-8601 date-time with an offset or Z (≤ 7 fractional digits), got ${
        JSON.stringify(raw.slice(0, QUOTED_INPUT_MAX))
      }`,
    );
  }
  return raw;
}

function requirePageSize(pageSize: number): number {
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new RangeError(`OData $top must be an integer in 1..${MAX_PAGE_SIZE}, got ${String(pageSize)}`);
  }
  return pageSize;
}
