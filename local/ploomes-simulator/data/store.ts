// The simulator's mutable data: entity collections sorted by Id, line items per deal, lookups,
// tombstones of deleted rows, and the simulated clock that stamps admin mutations. It serves
// navigations to the query engine and applies the admin API's inserts, updates and deletes.
// Mutations replace rows (never edit them in place), so a page being serialised is unaffected.

import { AdminError } from "../errors.ts";
import { addTicks, compareInstants, formatInstant, type Instant, instantFromMs, instantOf, TICKS_PER_MS, TICKS_PER_SECOND } from "../instant.ts";
import { SortedCollection } from "./collection.ts";
import type { Dataset } from "./generator.ts";
import {
  CONTACT_TYPE_COMPANY, CURRENCY_BRL, DEAL_STATUSES, ENTITY_TYPES, type EntityType, idOf,
  type NavigationSource, type Row, type Scalar, STATUS_OPEN,
} from "./model.ts";
import { type Random, streamFor } from "./prng.ts";
import { isPlainObject, validateFields, validateLineItems } from "./validate.ts";
import { FIRST_CONTACT_ID, FIRST_DEAL_ID, FIRST_PRODUCT_ID, lineTotal, randomFractionTicks, round2 } from "./values.ts";

export type EntityKind = "deals" | "contacts" | "products";
export const ENTITY_KINDS: readonly EntityKind[] = ["deals", "contacts", "products"];

/** What happens to deals' denormalised ContactName/PersonName when a contact is renamed. */
export type ContactNamePropagation = "none" | "silent" | "bump";

/** A raw row; deals carry their line items under `Products`. */
export type RawEntity = Record<string, Scalar | Row[]>;

export interface Snapshot {
  epoch: string;
  contacts: Row[];
  products: Row[];
  deals: RawEntity[];
  /** Deals deleted through the admin API, with the deletion time as LastUpdateDate. */
  deleted: Row[];
  deletedContacts: Row[];
  deletedProducts: Row[];
  statuses: Row[];
  pipelines: Row[];
  stages: Row[];
  lossReasons: Row[];
}

const TYPE_OF: Readonly<Record<EntityKind, EntityType>> = {
  deals: ENTITY_TYPES.Deal,
  contacts: ENTITY_TYPES.Contact,
  products: ENTITY_TYPES.Product,
};
const DATETIME_PROPERTIES = ["CreateDate", "StartDate", "FinishDate", "LastUpdateDate"];
const MAX_STAMP_STEP_SECONDS = 5;
const MAX_DISCOUNT_PERCENT = 100;

const numberOr = (value: Scalar | undefined, fallback: number): number => (typeof value === "number" ? value : fallback);
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
  private readonly lineItemsByDeal: Map<number, Row[]>;
  private readonly epoch: Instant;
  /** Latest date in the data; every mutation stamp is strictly later. */
  private lastStamp: Instant;
  private readonly stampRandom: Random;
  private nextLineItemId: number;

  /**
   * @param wallClockMs Ploomes stamps LastUpdateDate with its real clock, so mutation stamps are
   * never earlier than this clock (a sync's cursor is wall-clock time). Null keeps the purely
   * simulated clock, which only steps forward from the latest date in the data.
   */
  constructor(dataset: Dataset, seed: number, private readonly wallClockMs: (() => number) | null = null) {
    this.contacts = new SortedCollection(dataset.contacts);
    this.products = new SortedCollection(dataset.products);
    this.deals = new SortedCollection(dataset.deals);
    this.pipelines = new SortedCollection(dataset.pipelines);
    this.stages = new SortedCollection(dataset.stages);
    this.lossReasons = new SortedCollection(dataset.lossReasons);
    this.lineItemsByDeal = dataset.lineItems;
    this.epoch = dataset.epoch;
    this.lastStamp = dataset.epoch;
    this.stampRandom = streamFor(seed, "mutations");
    let maxLineId = 0;
    for (const items of this.lineItemsByDeal.values()) for (const item of items) maxLineId = Math.max(maxLineId, idOf(item));
    this.nextLineItemId = maxLineId + 1;
  }

  // ---- NavigationSource -------------------------------------------------------------------
  contact(id: number): Row | undefined { return this.contacts.get(id); }
  product(id: number): Row | undefined { return this.products.get(id); }
  lineItems(dealId: number): readonly Row[] { return this.lineItemsByDeal.get(dealId) ?? []; }
  status(id: number): Row | undefined { return this.statuses.get(id); }
  stage(id: number): Row | undefined { return this.stages.get(id); }
  pipeline(id: number): Row | undefined { return this.pipelines.get(id); }
  lossReason(id: number): Row | undefined { return this.lossReasons.get(id); }
  stagesOf(pipelineId: number): readonly Row[] { return this.stages.all().filter((s) => s.PipelineId === pipelineId); }

  // ---- the simulated clock ----------------------------------------------------------------
  /** The next mutation time: strictly after every date in the data, with a Ploomes-like fraction. */
  private nextStamp(): string {
    const step = this.stampRandom.int(1, MAX_STAMP_STEP_SECONDS) * TICKS_PER_SECOND + randomFractionTicks(this.stampRandom);
    const stepped = addTicks(this.lastStamp, step);
    const wall = this.wallClockMs === null ? null : addTicks(instantFromMs(this.wallClockMs()), randomFractionTicks(this.stampRandom) % TICKS_PER_MS);
    this.lastStamp = wall !== null && compareInstants(wall, stepped) > 0 ? wall : stepped;
    return formatInstant(this.lastStamp);
  }

  /** Explicit dates written by the admin API move the clock so later stamps stay the latest. */
  private observeDates(row: Row): void {
    for (const name of DATETIME_PROPERTIES) {
      const value = row[name];
      if (typeof value === "string" && compareInstants(instantOf(value), this.lastStamp) > 0) this.lastStamp = instantOf(value);
    }
  }

  // ---- reads ------------------------------------------------------------------------------
  private collection(kind: EntityKind): SortedCollection {
    return kind === "deals" ? this.deals : kind === "contacts" ? this.contacts : this.products;
  }

  private raw(kind: EntityKind, row: Row): RawEntity {
    return kind === "deals" ? { ...row, Products: this.lineItems(idOf(row)).map(copy) } : { ...row };
  }

  get(kind: EntityKind, id: number): RawEntity {
    return this.raw(kind, this.existing(kind, id));
  }

  private existing(kind: EntityKind, id: number): Row {
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
    const type = TYPE_OF[kind];
    const fields = validateFields(type, body, kind === "deals" ? ["Products"] : []);
    const collection = this.collection(kind);
    const id = typeof fields.Id === "number" ? fields.Id : (collection.maxId() ?? firstIdOf(kind) - 1) + 1;
    if (collection.get(id)) throw new AdminError(409, `${kind}: Id ${id} already exists`);
    const stamp = this.nextStamp();
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
    this.observeDates(row);
    collection.put(row);
    this.tombstones(kind).remove(id);
    return this.raw(kind, row);
  }

  update(kind: EntityKind, id: number, body: unknown, options: { bump: boolean; propagation: ContactNamePropagation }): RawEntity {
    const existing = this.existing(kind, id);
    const fields = validateFields(TYPE_OF[kind], body, kind === "deals" ? ["Products"] : []);
    if ("Id" in fields && fields.Id !== id) throw new AdminError(400, `the Id of ${kind} ${id} cannot change`);
    let stamp: string | undefined;
    const now = (): string => (stamp ??= this.nextStamp());
    const row: Row = { ...existing, ...fields };
    if (kind === "deals") {
      this.applyDealRules(row, fields, existing, now);
      const items = this.replaceLineItemsFrom(id, body);
      if (items && !("Amount" in fields)) row.Amount = sumTotals(items);
    }
    if (options.bump && !("LastUpdateDate" in fields)) row.LastUpdateDate = now();
    this.observeDates(row);
    this.collection(kind).put(row);
    if (kind === "contacts" && "Name" in fields && fields.Name !== existing.Name) {
      this.propagateContactName(id, row.Name ?? null, options.propagation);
    }
    return this.raw(kind, row);
  }

  remove(kind: EntityKind, id: number): RawEntity {
    const removed = this.raw(kind, this.existing(kind, id));
    this.collection(kind).remove(id);
    if (kind === "deals") this.lineItemsByDeal.delete(id);
    this.tombstones(kind).put({ Id: id, LastUpdateDate: this.nextStamp() });
    return removed;
  }

  private tombstones(kind: EntityKind): SortedCollection {
    return kind === "deals" ? this.deletedDeals : kind === "contacts" ? this.deletedContacts : this.deletedProducts;
  }

  private defaultsFor(kind: EntityKind, id: number, stamp: string): Row {
    const dates = { CreateDate: stamp, LastUpdateDate: stamp };
    if (kind === "contacts") return { ...dates, TypeId: CONTACT_TYPE_COMPANY };
    if (kind === "products") return { ...dates, CurrencyId: CURRENCY_BRL, Suspended: false, UnitPrice: 0 };
    const firstStage = this.stages.all()[0];
    return {
      ...dates, StartDate: stamp, Title: `Negócio ${id}`, StatusId: STATUS_OPEN, Amount: 0, CurrencyId: CURRENCY_BRL,
      PipelineId: firstStage?.PipelineId ?? null, StageId: firstStage?.Id ?? null,
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
    const inputs = validateLineItems(ENTITY_TYPES.DealProduct, body.Products);
    const problems: string[] = [];
    const items = inputs.map((input, i): Row => {
      const productId = numberOr(input.ProductId, 0);
      const product = this.products.get(productId);
      if (!product) problems.push(`Products[${i}].ProductId ${productId} is not a product`);
      const quantity = numberOr(input.Quantity, 1);
      const unitPrice = numberOr(input.UnitPrice, numberOr(product?.UnitPrice, 0));
      const discount = numberOr(input.Discount, 0);
      if (discount < 0 || discount > MAX_DISCOUNT_PERCENT) problems.push(`Products[${i}].Discount must be a percentage 0–100`);
      return {
        Id: typeof input.Id === "number" ? input.Id : this.nextLineItemId++,
        DealId: dealId,
        ProductId: productId,
        ProductName: input.ProductName ?? product?.Name ?? null,
        Quantity: quantity,
        UnitPrice: unitPrice,
        Discount: discount,
        Total: numberOr(input.Total, lineTotal(quantity, unitPrice, discount)),
        Ordination: numberOr(input.Ordination, i),
      };
    });
    if (problems.length > 0) throw new AdminError(400, "invalid line items", problems);
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
      if (propagation === "bump") next.LastUpdateDate = this.nextStamp();
      this.deals.put(next);
    }
  }
}

function firstIdOf(kind: EntityKind): number {
  return kind === "deals" ? FIRST_DEAL_ID : kind === "contacts" ? FIRST_CONTACT_ID : FIRST_PRODUCT_ID;
}

function sumTotals(items: readonly Row[]): number {
  return round2(items.reduce((sum, item) => sum + numberOr(item.Total, 0), 0));
}
