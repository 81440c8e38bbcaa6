// The simulator's mutable data: entity collections sorted by Id, line items per deal, orders and
// quotes with their lines (documents.ts), lookups, tombstones of deleted rows, and the simulated
// clock that stamps admin mutations. It serves navigations to the query engine and applies the
// admin API's inserts, updates and deletes. Mutations replace rows (never edit them in place), so
// a page being serialised is unaffected.

import { AdminError } from "../errors.ts";
import { formatInstant, type Instant } from "../instant.ts";
import { MutationClock } from "./clock.ts";
import { SortedCollection } from "./collection.ts";
import { DOCUMENT_SPECS, type DocumentKind, DocumentSet } from "./documents.ts";
import type { Dataset } from "./generator.ts";
import { buildLines, sumTotals } from "./line-input.ts";
import {
  CONTACT_TYPE_COMPANY,
  CURRENCY_BRL,
  DEAL_STATUSES,
  ENTITY_TYPES,
  type EntityType,
  idOf,
  type NavigationSource,
  type RawEntity,
  type Row,
  type Scalar,
  STATUS_OPEN,
} from "./model.ts";
import { isPlainObject, validateFields } from "./validate.ts";
import { FIRST_CONTACT_ID, FIRST_DEAL_ID, FIRST_PRODUCT_ID } from "./values.ts";

export type { DocumentKind } from "./documents.ts";
export type { RawEntity } from "./model.ts";

/** Kinds of rows the admin API changes one by one; orders and quotes are documents.ts's. */
type RowKind = "deals" | "contacts" | "products";
export type EntityKind = RowKind | DocumentKind;
export const ENTITY_KINDS: readonly EntityKind[] = ["deals", "contacts", "products", "orders", "quotes"];

const isDocumentKind = (kind: EntityKind): kind is DocumentKind => kind === "orders" || kind === "quotes";

/** What happens to deals' denormalised ContactName/PersonName when a contact is renamed. */
export type ContactNamePropagation = "none" | "silent" | "bump";

/** A deal created, changed or deleted: the stored row before and after (null where there is none). */
export interface DealChange {
  readonly action: "create" | "update" | "delete";
  readonly before: Row | null;
  readonly after: Row | null;
}
export type DealChangeListener = (change: DealChange) => void;

export interface Snapshot {
  epoch: string;
  contacts: Row[];
  products: Row[];
  deals: RawEntity[];
  /** Orders and quotes, each with its lines under `Products` (as `/Orders@Products` serves them). */
  orders: RawEntity[];
  quotes: RawEntity[];
  /** Deals deleted through the admin API, with the deletion time as LastUpdateDate. */
  deleted: Row[];
  deletedContacts: Row[];
  deletedProducts: Row[];
  statuses: Row[];
  pipelines: Row[];
  stages: Row[];
  lossReasons: Row[];
}

const TYPE_OF: Readonly<Record<RowKind, EntityType>> = {
  deals: ENTITY_TYPES.Deal,
  contacts: ENTITY_TYPES.Contact,
  products: ENTITY_TYPES.Product,
};

const copy = (row: Row): Row => ({ ...row });

export class Store implements NavigationSource {
  readonly contacts: SortedCollection;
  readonly products: SortedCollection;
  readonly deals: SortedCollection;
  readonly deletedDeals = new SortedCollection([]);
  readonly deletedContacts = new SortedCollection([]);
  readonly deletedProducts = new SortedCollection([]);
  readonly statuses: SortedCollection = new SortedCollection(DEAL_STATUSES);
  readonly pipelines: SortedCollection;
  readonly stages: SortedCollection;
  readonly lossReasons: SortedCollection;
  readonly orders: DocumentSet;
  readonly quotes: DocumentSet;
  private readonly lineItemsByDeal: Map<number, Row[]>;
  private readonly epoch: Instant;
  private readonly clock: MutationClock;
  private nextLineItemId: number;
  /** Told of every deal mutation once it is stored (webhooks.ts): admin and in-process changes alike pass here. */
  private dealListener: DealChangeListener | null = null;

  /**
   * @param wallClockMs Ploomes stamps LastUpdateDate with its real clock, so mutation stamps are
   * never earlier than this clock (a sync's cursor is wall-clock time). Null keeps the purely
   * simulated clock, which only steps forward from the latest date in the data.
   */
  constructor(dataset: Dataset, seed: number, wallClockMs: (() => number) | null = null) {
    this.contacts = new SortedCollection(dataset.contacts);
    this.products = new SortedCollection(dataset.products);
    this.deals = new SortedCollection(dataset.deals);
    this.pipelines = new SortedCollection(dataset.pipelines);
    this.stages = new SortedCollection(dataset.stages);
    this.lossReasons = new SortedCollection(dataset.lossReasons);
    this.lineItemsByDeal = dataset.lineItems;
    this.epoch = dataset.epoch;
    this.clock = new MutationClock(dataset.epoch, seed, wallClockMs);
    const env = {
      clock: this.clock,
      deal: (id: number) => this.deals.get(id),
      product: (id: number) => this.products.get(id),
    };
    this.orders = new DocumentSet(DOCUMENT_SPECS.orders, dataset.orders, env);
    this.quotes = new DocumentSet(DOCUMENT_SPECS.quotes, dataset.quotes, env);
    let maxLineId = 0;
    for (const items of this.lineItemsByDeal.values()) {
      for (const item of items) maxLineId = Math.max(maxLineId, idOf(item));
    }
    this.nextLineItemId = maxLineId + 1;
  }

  /** Replaces the listener told of deal mutations (null: none). */
  onDealChange(listener: DealChangeListener | null): void {
    this.dealListener = listener;
  }

  // ---- NavigationSource -------------------------------------------------------------------
  contact(id: number): Row | undefined {
    return this.contacts.get(id);
  }
  product(id: number): Row | undefined {
    return this.products.get(id);
  }
  deal(id: number): Row | undefined {
    return this.deals.get(id);
  }
  lineItems(dealId: number): readonly Row[] {
    return this.lineItemsByDeal.get(dealId) ?? [];
  }
  orderLines(orderId: number): readonly Row[] {
    return this.orders.linesOf(orderId);
  }
  quoteLines(quoteId: number): readonly Row[] {
    return this.quotes.linesOf(quoteId);
  }
  status(id: number): Row | undefined {
    return this.statuses.get(id);
  }
  stage(id: number): Row | undefined {
    return this.stages.get(id);
  }
  pipeline(id: number): Row | undefined {
    return this.pipelines.get(id);
  }
  lossReason(id: number): Row | undefined {
    return this.lossReasons.get(id);
  }
  stagesOf(pipelineId: number): readonly Row[] {
    return this.stages.all().filter((s) => s.PipelineId === pipelineId);
  }

  // ---- reads ------------------------------------------------------------------------------
  private collection(kind: RowKind): SortedCollection {
    return kind === "deals" ? this.deals : kind === "contacts" ? this.contacts : this.products;
  }

  private documents(kind: DocumentKind): DocumentSet {
    return kind === "orders" ? this.orders : this.quotes;
  }

  private raw(kind: RowKind, row: Row): RawEntity {
    return kind === "deals" ? { ...row, Products: this.lineItems(idOf(row)).map(copy) } : { ...row };
  }

  get(kind: EntityKind, id: number): RawEntity {
    return isDocumentKind(kind) ? this.documents(kind).get(id) : this.raw(kind, this.existing(kind, id));
  }

  private existing(kind: RowKind, id: number): Row {
    const row = this.collection(kind).get(id);
    if (!row) throw new AdminError(404, `${kind}: no row with Id ${id}`);
    return row;
  }

  snapshot(): Snapshot {
    return {
      epoch: formatInstant(this.epoch),
      contacts: this.contacts.all().map(copy),
      products: this.products.all().map(copy),
      deals: this.deals.all().map((d) => this.raw("deals", d)),
      orders: this.orders.all(),
      quotes: this.quotes.all(),
      deleted: this.deletedDeals.all().map(copy),
      deletedContacts: this.deletedContacts.all().map(copy),
      deletedProducts: this.deletedProducts.all().map(copy),
      statuses: this.statuses.all().map(copy),
      pipelines: this.pipelines.all().map(copy),
      stages: this.stages.all().map(copy),
      lossReasons: this.lossReasons.all().map(copy),
    };
  }

  // ---- mutations --------------------------------------------------------------------------
  insert(kind: EntityKind, body: unknown): RawEntity {
    if (isDocumentKind(kind)) return this.documents(kind).insert(body);
    const type = TYPE_OF[kind];
    const fields = validateFields(type, body, kind === "deals" ? ["Products"] : []);
    const collection = this.collection(kind);
    const id = typeof fields.Id === "number" ? fields.Id : (collection.maxId() ?? firstIdOf(kind) - 1) + 1;
    if (collection.get(id)) throw new AdminError(409, `${kind}: Id ${id} already exists`);
    const stamp = this.clock.next();
    const row: Row = Object.fromEntries(type.properties.map((p) => [p.name, null]));
    Object.assign(row, this.defaultsFor(kind, id, stamp), fields, { Id: id });
    if (kind === "deals") {
      this.applyDealRules(row, fields, {}, () => stamp);
      const items = this.replaceLineItemsFrom(id, body);
      if (items && !("Amount" in fields)) row.Amount = sumTotals(items);
      if (!("StartAmount" in fields)) row.StartAmount = row.Amount ?? null;
    } else if (kind === "contacts" && typeof row.Name !== "string") {
      throw new AdminError(400, "invalid Contact", ["Name is required"]);
    }
    this.clock.observe(type, row);
    collection.put(row);
    this.tombstones(kind).remove(id);
    if (kind === "deals") this.dealListener?.({ action: "create", before: null, after: row });
    return this.raw(kind, row);
  }

  update(
    kind: EntityKind,
    id: number,
    body: unknown,
    options: { bump: boolean; propagation: ContactNamePropagation },
  ): RawEntity {
    if (isDocumentKind(kind)) return this.documents(kind).update(id, body, options.bump);
    const existing = this.existing(kind, id);
    const fields = validateFields(TYPE_OF[kind], body, kind === "deals" ? ["Products"] : []);
    if ("Id" in fields && fields.Id !== id) throw new AdminError(400, `the Id of ${kind} ${id} cannot change`);
    let stamp: string | undefined;
    const now = (): string => (stamp ??= this.clock.next());
    const row: Row = { ...existing, ...fields };
    if (kind === "deals") {
      this.applyDealRules(row, fields, existing, now);
      const items = this.replaceLineItemsFrom(id, body);
      if (items && !("Amount" in fields)) row.Amount = sumTotals(items);
    }
    if (options.bump && !("LastUpdateDate" in fields)) row.LastUpdateDate = now();
    this.clock.observe(TYPE_OF[kind], row);
    this.collection(kind).put(row);
    if (kind === "deals") this.dealListener?.({ action: "update", before: existing, after: row });
    if (kind === "contacts" && "Name" in fields && fields.Name !== existing.Name) {
      this.propagateContactName(id, row.Name ?? null, options.propagation);
    }
    return this.raw(kind, row);
  }

  /** Deleting a deal leaves its orders and quotes alone, as their DealId is only a reference. */
  remove(kind: EntityKind, id: number): RawEntity {
    if (isDocumentKind(kind)) return this.documents(kind).remove(id);
    const existing = this.existing(kind, id);
    const removed = this.raw(kind, existing);
    this.collection(kind).remove(id);
    if (kind === "deals") this.lineItemsByDeal.delete(id);
    this.tombstones(kind).put({ Id: id, LastUpdateDate: this.clock.next() });
    if (kind === "deals") this.dealListener?.({ action: "delete", before: existing, after: null });
    return removed;
  }

  private tombstones(kind: RowKind): SortedCollection {
    return kind === "deals" ? this.deletedDeals : kind === "contacts" ? this.deletedContacts : this.deletedProducts;
  }

  private defaultsFor(kind: RowKind, id: number, stamp: string): Row {
    const dates = { CreateDate: stamp, LastUpdateDate: stamp };
    if (kind === "contacts") return { ...dates, TypeId: CONTACT_TYPE_COMPANY };
    if (kind === "products") return { ...dates, CurrencyId: CURRENCY_BRL, Suspended: false, UnitPrice: 0 };
    const firstStage = this.stages.all()[0];
    return {
      ...dates,
      StartDate: stamp,
      Title: `Negócio ${id}`,
      StatusId: STATUS_OPEN,
      Amount: 0,
      CurrencyId: CURRENCY_BRL,
      PipelineId: firstStage?.PipelineId ?? null,
      StageId: firstStage?.Id ?? null,
    };
  }

  /** Keeps a deal consistent: known status, names that follow the ids, FinishDate that follows the status. */
  private applyDealRules(row: Row, fields: Row, before: Row, now: () => string): void {
    if (!DEAL_STATUSES.some((s) => s.Id === row.StatusId)) {
      throw new AdminError(400, "invalid Deal", [`StatusId must be one of 1 (open), 2 (won), 3 (lost)`]);
    }
    if ("ContactId" in fields && !("ContactName" in fields)) row.ContactName = this.nameOf(row.ContactId);
    if ("PersonId" in fields && !("PersonName" in fields)) row.PersonName = this.nameOf(row.PersonId);
    if (row.StatusId !== before.StatusId && !("FinishDate" in fields)) {
      row.FinishDate = row.StatusId === STATUS_OPEN ? null : now();
    }
  }

  private nameOf(contactId: Scalar | undefined): Scalar {
    return typeof contactId === "number" ? (this.contacts.get(contactId)?.Name ?? null) : null;
  }

  /** Replaces a deal's line items when the body has `Products`; returns them, or undefined. */
  private replaceLineItemsFrom(dealId: number, body: unknown): Row[] | undefined {
    if (!isPlainObject(body) || !("Products" in body)) return undefined;
    const items = buildLines(body.Products, {
      type: ENTITY_TYPES.DealProduct,
      parent: { DealId: dealId },
      product: (id) => this.products.get(id),
      nextId: () => this.nextLineItemId++,
    });
    if (items.length > 0) this.lineItemsByDeal.set(dealId, items);
    else this.lineItemsByDeal.delete(dealId);
    return items;
  }

  private propagateContactName(contactId: number, name: Scalar, propagation: ContactNamePropagation): void {
    if (propagation === "none") return;
    const affected = this.deals.all().filter((d) => d.ContactId === contactId || d.PersonId === contactId);
    for (const deal of affected) {
      const next: Row = { ...deal };
      if (deal.ContactId === contactId) next.ContactName = name;
      if (deal.PersonId === contactId) next.PersonName = name;
      if (propagation === "bump") next.LastUpdateDate = this.clock.next();
      this.deals.put(next);
      // Only a bump is an update Ploomes records; "silent" plays a change its own change tracking
      // misses, so it tells no one either [inf].
      if (propagation === "bump") this.dealListener?.({ action: "update", before: deal, after: next });
    }
  }
}

function firstIdOf(kind: RowKind): number {
  return kind === "deals" ? FIRST_DEAL_ID : kind === "contacts" ? FIRST_CONTACT_ID : FIRST_PRODUCT_ID;
}
