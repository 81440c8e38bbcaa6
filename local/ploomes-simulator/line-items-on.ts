// What the `lineItemsOn` setting changes in the API's answers. Where an account keeps its line
// items is not settled (settings.ts): on the deal (`Products`), on its orders, on its quotes, or
// the deal expansion is refused outright. The stored data always has lines in all three places;
// this module decides, per request, which of them the API shows.

import type { DocumentKind } from "./data/documents.ts";
import type { NavigationSource, Row } from "./data/model.ts";
import { forbidden } from "./errors.ts";
import type { BoundQuery } from "./odata/bind.ts";
import type { LineItemsOn } from "./settings.ts";

/** Whether /Orders (or /Quotes) and its @Products set serve their rows; if not, empty collections. */
export function servesDocuments(setting: LineItemsOn, kind: DocumentKind): boolean {
  switch (setting) {
    case "everywhere":
    case "refuseDealExpansion":
      return true;
    case "deals":
      return false;
    case "orders":
    case "quotes":
      return setting === kind;
  }
}

/** The navigations a request sees: the store itself, or the store with every deal's `Products` empty. */
export function sourceFor(store: NavigationSource, setting: LineItemsOn): NavigationSource {
  return setting === "orders" || setting === "quotes" ? new WithoutDealLines(store) : store;
}

const NO_LINES: readonly Row[] = [];

/** The deal `Products` expansion is accepted but empty, as in an account that keeps lines elsewhere. */
class WithoutDealLines implements NavigationSource {
  constructor(private readonly store: NavigationSource) {}
  contact(id: number): Row | undefined {
    return this.store.contact(id);
  }
  product(id: number): Row | undefined {
    return this.store.product(id);
  }
  deal(id: number): Row | undefined {
    return this.store.deal(id);
  }
  lineItems(): readonly Row[] {
    return NO_LINES;
  }
  orderLines(orderId: number): readonly Row[] {
    return this.store.orderLines(orderId);
  }
  quoteLines(quoteId: number): readonly Row[] {
    return this.store.quoteLines(quoteId);
  }
  status(id: number): Row | undefined {
    return this.store.status(id);
  }
  stage(id: number): Row | undefined {
    return this.store.stage(id);
  }
  pipeline(id: number): Row | undefined {
    return this.store.pipeline(id);
  }
  lossReason(id: number): Row | undefined {
    return this.store.lossReason(id);
  }
  stagesOf(pipelineId: number): readonly Row[] {
    return this.store.stagesOf(pipelineId);
  }
}

/**
 * Under "refuseDealExpansion", a query that expands a deal's `Products` — on /Deals itself or on a
 * deal reached through another expansion (`/Orders?$expand=Deal($expand=Products)`) — is refused
 * with the same 403 as an unknown name.
 */
export function checkDealExpansion(setting: LineItemsOn, query: BoundQuery): void {
  if (setting === "refuseDealExpansion" && expandsDealProducts(query)) {
    throw forbidden("$expand: a deal's Products is refused (setting lineItemsOn = refuseDealExpansion)");
  }
}

function expandsDealProducts(query: BoundQuery): boolean {
  return query.expand.some((item) =>
    (query.type.name === "Deal" && item.navigation.name === "Products") || expandsDealProducts(item.query)
  );
}
