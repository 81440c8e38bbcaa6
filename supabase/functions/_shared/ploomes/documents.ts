// The collections that may carry an account's line items instead of the deal's own `Products`:
// Orders and Quotes, each with its lines expanded (with their catalog price), and the fields the
// metrics need to attach them to deals and, for quotes, to pick the quote that counts
// (docs/metrics.md, "Where line items come from").
import { buildLineItemsExpand, type Collection } from "./odata.ts";

export type DocumentKind = "orders" | "quotes";

export const ORDERS: Collection = {
  path: "/Orders",
  fields: ["Id", "DealId", "LastUpdateDate"],
  expand: buildLineItemsExpand,
  noun: "orders",
};

export const QUOTES: Collection = {
  path: "/Quotes",
  fields: ["Id", "DealId", "ReviewNumber", "LastReview", "ApprovalStatusId", "LastUpdateDate"],
  expand: buildLineItemsExpand,
  noun: "quotes",
};

export const DOCUMENT_COLLECTIONS: Readonly<Record<DocumentKind, Collection>> = { orders: ORDERS, quotes: QUOTES };
