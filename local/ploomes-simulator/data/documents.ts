// Orders and quotes in the store: the documents sorted by Id, every line of the kind sorted by Id
// (what `/Orders@Products` and `/Quotes@Products` serve) and the lines of each document (what the
// `Products` navigation serves), kept in step by the admin API's inserts, updates and deletes.
// A document belongs to a deal (DealId) and takes its ContactId/PersonId from it unless told
// otherwise; its lines repeat the document's Id, DealId, ContactId and date. Like the rest of the
// store, rows are replaced, never edited in place, so a page being serialised keeps its view.

import { AdminError } from "../errors.ts";
import type { MutationClock } from "./clock.ts";
import { SortedCollection } from "./collection.ts";
import type { DocumentData } from "./document-generator.ts";
import { buildLines, sumTotals } from "./line-input.ts";
import {
  APPROVAL_PENDING,
  APPROVAL_STATUSES,
  CURRENCY_BRL,
  ENTITY_TYPES,
  type EntityType,
  idOf,
  NO_BONUS,
  type RawEntity,
  type Row,
  type Scalar,
} from "./model.ts";
import { isPlainObject, validateFields } from "./validate.ts";
import { FIRST_ORDER_ID, FIRST_ORDER_LINE_ID, FIRST_QUOTE_ID, FIRST_QUOTE_LINE_ID } from "./values.ts";

export type DocumentKind = "orders" | "quotes";

interface DocumentSpec {
  readonly kind: DocumentKind;
  readonly type: EntityType;
  readonly lineType: EntityType;
  /** The line's reference to its document, and the line's copy of the document's Date. */
  readonly parentKey: "OrderId" | "QuoteId";
  readonly dateKey: "OrderDate" | "QuoteDate";
  /** The document's running number, given in sequence when an insert does not set it. */
  readonly numberKey: "OrderNumber" | "QuoteNumber";
  readonly firstId: number;
  readonly firstLineId: number;
  /** Fields of a new document beyond the common defaults. */
  readonly defaults: Row;
  readonly lineDefaults: Row;
  /** Rules a stored document must keep beyond its field types. */
  readonly problems: (row: Row) => string[];
}

const PRODUCTS = "Products";
const FIRST_REVIEW = 1;

const quoteProblems = (row: Row): string[] => [
  ...(typeof row.ApprovalStatusId === "number" && APPROVAL_STATUSES.includes(row.ApprovalStatusId)
    ? []
    : ["ApprovalStatusId must be one of 1 (pending), 2 (approved), 3 (rejected)"]),
  ...(typeof row.ReviewNumber === "number" && row.ReviewNumber >= FIRST_REVIEW
    ? []
    : ["ReviewNumber must be an integer ≥ 1"]),
  ...(typeof row.LastReview === "boolean" ? [] : ["LastReview must be true or false"]),
];

export const DOCUMENT_SPECS: Readonly<Record<DocumentKind, DocumentSpec>> = {
  orders: {
    kind: "orders",
    type: ENTITY_TYPES.Order,
    lineType: ENTITY_TYPES.OrderProduct,
    parentKey: "OrderId",
    dateKey: "OrderDate",
    numberKey: "OrderNumber",
    firstId: FIRST_ORDER_ID,
    firstLineId: FIRST_ORDER_LINE_ID,
    defaults: {},
    lineDefaults: { Bonus: NO_BONUS },
    problems: () => [],
  },
  quotes: {
    kind: "quotes",
    type: ENTITY_TYPES.Quote,
    lineType: ENTITY_TYPES.QuoteProduct,
    parentKey: "QuoteId",
    dateKey: "QuoteDate",
    numberKey: "QuoteNumber",
    firstId: FIRST_QUOTE_ID,
    firstLineId: FIRST_QUOTE_LINE_ID,
    defaults: { ReviewNumber: FIRST_REVIEW, LastReview: true, ApprovalStatusId: APPROVAL_PENDING },
    lineDefaults: {},
    problems: quoteProblems,
  },
};

/** What documents read from the rest of the store. */
export interface DocumentEnv {
  readonly clock: MutationClock;
  deal(id: number): Row | undefined;
  product(id: number): Row | undefined;
}

const copy = (row: Row): Row => ({ ...row });

export class DocumentSet {
  readonly rows: SortedCollection;
  /** Every line of every document of this kind, by Id: the `@Products` set. */
  readonly lines: SortedCollection;
  private readonly byDocument: Map<number, Row[]>;
  private nextLineId: number;
  /** Largest running number in use; computed on the first insert that needs one. */
  private lastNumber: number | null = null;

  constructor(private readonly spec: DocumentSpec, data: DocumentData, private readonly env: DocumentEnv) {
    this.rows = new SortedCollection(data.rows);
    this.lines = new SortedCollection(data.lines, { indexed: false });
    this.byDocument = data.linesByDocument;
    this.nextLineId = (this.lines.maxId() ?? spec.firstLineId - 1) + 1;
  }

  linesOf(id: number): readonly Row[] {
    return this.byDocument.get(id) ?? [];
  }

  get(id: number): RawEntity {
    return this.raw(this.existing(id));
  }

  all(): RawEntity[] {
    return this.rows.all().map((row) => this.raw(row));
  }

  insert(body: unknown): RawEntity {
    const { type, firstId, numberKey, kind } = this.spec;
    const fields = validateFields(type, body, [PRODUCTS]);
    const id = typeof fields.Id === "number" ? fields.Id : (this.rows.maxId() ?? firstId - 1) + 1;
    if (this.rows.get(id)) throw new AdminError(409, `${kind}: Id ${id} already exists`);
    if (!("DealId" in fields)) {
      throw new AdminError(400, `invalid ${type.name}`, ["DealId is required (a deal's Id, or null)"]);
    }
    const deal = this.dealOf(fields.DealId);
    const stamp = this.env.clock.next();
    const row: Row = Object.fromEntries(type.properties.map((p) => [p.name, null]));
    Object.assign(
      row,
      { Date: stamp, CreateDate: stamp, LastUpdateDate: stamp, CurrencyId: CURRENCY_BRL, Amount: 0, Discount: 0 },
      this.spec.defaults,
      {
        [numberKey]: numberKey in fields ? null : this.nextNumber(),
        ContactId: deal?.ContactId ?? null,
        PersonId: deal?.PersonId ?? null,
      },
      fields,
      { Id: id },
    );
    const lines = this.linesFrom(row, body) ?? [];
    if (!("Amount" in fields)) row.Amount = sumTotals(lines);
    return this.store(row, lines);
  }

  update(id: number, body: unknown, bump: boolean): RawEntity {
    const existing = this.existing(id);
    const fields = validateFields(this.spec.type, body, [PRODUCTS]);
    if ("Id" in fields && fields.Id !== id) {
      throw new AdminError(400, `the Id of ${this.spec.kind} ${id} cannot change`);
    }
    const row: Row = { ...existing, ...fields };
    if ("DealId" in fields && fields.DealId !== existing.DealId) {
      // A document moved to another deal takes that deal's customer unless the body names one.
      const deal = this.dealOf(fields.DealId);
      if (!("ContactId" in fields)) row.ContactId = deal?.ContactId ?? null;
      if (!("PersonId" in fields)) row.PersonId = deal?.PersonId ?? null;
    }
    const replaced = this.linesFrom(row, body);
    if (replaced && !("Amount" in fields)) row.Amount = sumTotals(replaced);
    const parent = this.parentFields(row);
    const lines = replaced ?? this.linesOf(id).map((line) => relink(line, parent));
    if (bump && !("LastUpdateDate" in fields)) row.LastUpdateDate = this.env.clock.next();
    return this.store(row, lines);
  }

  /** The document and its lines leave every set; nothing else refers to them. */
  remove(id: number): RawEntity {
    const removed = this.raw(this.existing(id));
    this.rows.remove(id);
    this.setLines(id, []);
    return removed;
  }

  private existing(id: number): Row {
    const row = this.rows.get(id);
    if (!row) throw new AdminError(404, `${this.spec.kind}: no row with Id ${id}`);
    return row;
  }

  private raw(row: Row): RawEntity {
    return { ...row, [PRODUCTS]: this.linesOf(idOf(row)).map(copy) };
  }

  /** The deal a DealId names: null means none; any other Id must exist. */
  private dealOf(dealId: Scalar | undefined): Row | undefined {
    if (dealId === null || dealId === undefined) return undefined;
    const deal = typeof dealId === "number" ? this.env.deal(dealId) : undefined;
    if (!deal) throw new AdminError(400, `invalid ${this.spec.type.name}`, [`DealId ${String(dealId)} is not a deal`]);
    return deal;
  }

  private nextNumber(): number {
    this.lastNumber ??= this.rows.all().reduce((max, row) => Math.max(max, numberOf(row[this.spec.numberKey])), 0);
    return this.lastNumber + 1;
  }

  private parentFields(row: Row): Row {
    const { parentKey, dateKey } = this.spec;
    return {
      [parentKey]: row.Id ?? null,
      DealId: row.DealId ?? null,
      ContactId: row.ContactId ?? null,
      [dateKey]: row.Date ?? null,
    };
  }

  /** New lines when the body has `Products`; undefined otherwise. */
  private linesFrom(row: Row, body: unknown): Row[] | undefined {
    if (!isPlainObject(body) || !(PRODUCTS in body)) return undefined;
    const lines = buildLines(body[PRODUCTS], {
      type: this.spec.lineType,
      parent: this.parentFields(row),
      defaults: this.spec.lineDefaults,
      product: (id) => this.env.product(id),
      nextId: () => this.nextLineId++,
    });
    this.checkLineIds(idOf(row), lines);
    return lines;
  }

  /** Explicit line Ids must be unique in the body and not belong to another document of the set. */
  private checkLineIds(documentId: number, lines: readonly Row[]): void {
    const seen = new Set<number>();
    for (const line of lines) {
      const id = idOf(line);
      if (seen.has(id)) throw new AdminError(400, "invalid line items", [`line Id ${id} appears twice`]);
      seen.add(id);
      const owner = this.lines.get(id)?.[this.spec.parentKey];
      if (owner !== undefined && owner !== documentId) {
        throw new AdminError(409, `${this.spec.kind}: line Id ${id} belongs to ${String(owner)}`);
      }
    }
  }

  private store(row: Row, lines: Row[]): RawEntity {
    const problems = this.spec.problems(row);
    if (problems.length > 0) throw new AdminError(400, `invalid ${this.spec.type.name}`, problems);
    this.env.clock.observe(this.spec.type, row);
    this.rows.put(row);
    this.setLines(idOf(row), lines);
    if (this.lastNumber !== null) this.lastNumber = Math.max(this.lastNumber, numberOf(row[this.spec.numberKey]));
    return this.raw(row);
  }

  private setLines(documentId: number, lines: Row[]): void {
    for (const old of this.linesOf(documentId)) this.lines.remove(idOf(old));
    for (const line of lines) this.lines.put(line);
    if (lines.length > 0) this.byDocument.set(documentId, lines);
    else this.byDocument.delete(documentId);
    // An explicit line Id above the sequence must not be handed out again.
    this.nextLineId = Math.max(this.nextLineId, (this.lines.maxId() ?? 0) + 1);
  }
}

const numberOf = (value: Scalar | undefined): number => (typeof value === "number" ? value : 0);

/** The line with its document's current fields; the same object when nothing changed. */
function relink(line: Row, parent: Row): Row {
  return Object.entries(parent).every(([key, value]) => line[key] === value) ? line : { ...line, ...parent };
}
