// Generates the orders and quotes of the seeded deals, so the demo data carries line items in all
// three places an account may keep them (the deal's `Products`, Orders@Products, Quotes@Products):
//
// - every won deal with lines gets one order, or two (about a third of them) that split the deal's
//   lines between them — together exactly the deal's lines;
// - every won deal with lines gets a quote history: review 1, rejected, at other prices or
//   discounts, then review 2, approved, equal to the deal's lines; for about a fifth of them both
//   reviews are still pending instead (no approved quote at all);
// - some open deals with lines get one pending quote equal to the deal's lines.
//
// One pass over the deals (O(n)), with streams of their own ("orders", "quotes"): the deals, contacts
// and products a seed gave before stay byte-identical. Dates fall between the deal's dates and
// before the epoch; lines share their document's date string instead of formatting it again.

import { compareInstants, formatInstant, type Instant, instantOf } from "../instant.ts";
import {
  APPROVAL_APPROVED,
  APPROVAL_PENDING,
  APPROVAL_REJECTED,
  CURRENCY_BRL,
  idOf,
  NO_BONUS,
  type Row,
  type Scalar,
  STATUS_OPEN,
  STATUS_WON,
} from "./model.ts";
import { type Random, streamFor } from "./prng.ts";
import {
  DAY,
  FIRST_ORDER_ID,
  FIRST_ORDER_LINE_ID,
  FIRST_QUOTE_ID,
  FIRST_QUOTE_LINE_ID,
  lineTotal,
  midnightOf,
  nextId,
  randomInstant,
  round2,
} from "./values.ts";

/** One kind of document as the store takes it: rows and every line, both in Id order, and lines per document. */
export interface DocumentData {
  readonly rows: Row[];
  readonly lines: Row[];
  readonly linesByDocument: Map<number, Row[]>;
}

export interface GeneratedDocuments {
  readonly orders: DocumentData;
  readonly quotes: DocumentData;
}

/** Among won deals with two or more lines; about a third of all won deals with lines then get two orders. */
const TWO_ORDERS_SHARE = 0.5;
/** Won deals whose quote history is still pending (no approved quote). */
const PENDING_HISTORY_SHARE = 0.2;
/** Open deals with lines that already have a pending quote. */
const OPEN_QUOTE_SHARE = 0.4;
/** Order and quote `Date`: a date-only value (midnight) most of the time, as Ploomes shows such dates. */
const DATE_ONLY_SHARE = 0.7;
/** An order is placed within this many days after the deal is won, updated within LAST_UPDATE_DAYS after. */
const ORDER_LAG_DAYS = 10;
const LAST_UPDATE_DAYS = 30;
/** An open deal's quote is made within this many days of the deal. */
const OPEN_QUOTE_DAYS = 60;
/** Review 1 asked this much more per unit (percent) before the price was negotiated down. */
const FIRST_REVIEW_MARKUP_PERCENT = { min: 3, max: 15 } as const;
/** How often a discounted line's first review had no discount at all (the discount came later). */
const DISCOUNT_CAME_LATER_SHARE = 0.5;
/** Review 1 is made in the first half of the deal's life, review 2 after it and before the win. */
const FIRST_REVIEW_SPAN = 0.5;
const FIRST_REVIEW = 1;
const SECOND_REVIEW = 2;
const ONE_CENT = 0.01;
const PERCENT = 100;
/** Two orders need two lines, one each at least. */
const MIN_LINES_TO_SPLIT = 2;
/** Documents carry no discount of their own: the lines do. */
const NO_DOCUMENT_DISCOUNT = 0;
const ID_GAP_CHANCE = 0.1;
const MAX_ID_GAP = 5;

/** Accumulates one document kind: Ids with occasional gaps, rows and lines in Id order. */
class DocumentWriter implements DocumentData {
  readonly rows: Row[] = [];
  readonly lines: Row[] = [];
  readonly linesByDocument = new Map<number, Row[]>();
  private id: number;
  private lineId: number;
  /** The last OrderNumber / QuoteNumber given (both reviews of a quote share one). */
  number = 0;

  constructor(private readonly random: Random, firstId: number, firstLineId: number, readonly dates: DocumentDates) {
    this.id = firstId - 1;
    this.lineId = firstLineId - 1;
  }

  nextId(): number {
    this.id = nextId(this.random, this.id, ID_GAP_CHANCE, MAX_ID_GAP);
    return this.id;
  }

  nextLineId(): number {
    this.lineId = nextId(this.random, this.lineId, ID_GAP_CHANCE, MAX_ID_GAP);
    return this.lineId;
  }

  add(row: Row, lines: Row[]): void {
    this.rows.push(row);
    for (const line of lines) this.lines.push(line);
    this.linesByDocument.set(idOf(row), lines);
  }
}

const num = (value: Scalar | undefined): number => (typeof value === "number" ? value : 0);

/** A generated deal's date; the deal generator always sets the ones read here. */
function dateOf(deal: Row, key: "CreateDate" | "FinishDate"): Instant {
  const text = deal[key];
  if (typeof text !== "string") throw new Error(`deal ${String(deal.Id)} has no ${key}`);
  return instantOf(text);
}

/** A random instant from `from` to `toSeconds`, never before `from` itself (same second, smaller fraction). */
function between(random: Random, from: Instant, toSeconds: number): Instant {
  const picked = randomInstant(random, from.seconds, Math.max(from.seconds, toSeconds));
  return compareInstants(picked, from) < 0 ? from : picked;
}

/**
 * A document's Date: its creation time, or (most often) that day's midnight. Each text is made
 * once and shared — by the document's CreateDate, its lines' date and every document of the same
 * day — since a 1 000 000-deal data set holds about a million of them.
 */
class DocumentDates {
  private readonly midnights = new Map<number, string>();

  dateOf(random: Random, created: Instant, createdText: string): string {
    if (!random.chance(DATE_ONLY_SHARE)) return createdText;
    const midnight = midnightOf(created);
    let text = this.midnights.get(midnight.seconds);
    if (text === undefined) {
      text = formatInstant(midnight);
      this.midnights.set(midnight.seconds, text);
    }
    return text;
  }
}

export function generateDocuments(
  seed: number,
  deals: readonly Row[],
  lineItems: ReadonlyMap<number, Row[]>,
  epochSeconds: number,
): GeneratedDocuments {
  const orderRandom = streamFor(seed, "orders");
  const quoteRandom = streamFor(seed, "quotes");
  const dates = new DocumentDates();
  const orders = new DocumentWriter(orderRandom, FIRST_ORDER_ID, FIRST_ORDER_LINE_ID, dates);
  const quotes = new DocumentWriter(quoteRandom, FIRST_QUOTE_ID, FIRST_QUOTE_LINE_ID, dates);
  const latest = epochSeconds - 1;
  for (const deal of deals) {
    const lines = lineItems.get(idOf(deal));
    if (lines === undefined || lines.length === 0) continue;
    if (deal.StatusId === STATUS_WON) {
      const dealDates = { created: dateOf(deal, "CreateDate"), finish: dateOf(deal, "FinishDate") };
      const approvedId = addQuoteHistory(quoteRandom, quotes, deal, lines, dealDates);
      addOrders(orderRandom, orders, deal, lines, approvedId, dealDates.finish, latest);
    } else if (deal.StatusId === STATUS_OPEN && quoteRandom.chance(OPEN_QUOTE_SHARE)) {
      addOpenQuote(quoteRandom, quotes, deal, lines, latest);
    }
  }
  return { orders, quotes };
}

/** One pending last review with the deal's lines, made after the deal and before the epoch. */
function addOpenQuote(random: Random, quotes: DocumentWriter, deal: Row, lines: readonly Row[], latest: number): void {
  const dealCreated = dateOf(deal, "CreateDate");
  const created = between(random, dealCreated, Math.min(dealCreated.seconds + OPEN_QUOTE_DAYS * DAY, latest));
  const updated = between(random, created, Math.min(created.seconds + LAST_UPDATE_DAYS * DAY, latest));
  const createdText = formatInstant(created);
  quotes.number += 1;
  addQuote(quotes, deal, lines, {
    review: FIRST_REVIEW,
    last: true,
    status: APPROVAL_PENDING,
    date: quotes.dates.dateOf(random, created, createdText),
    created: createdText,
    updated: formatInstant(updated),
    reprice: null,
  });
}

/** Review 1 then review 2 of one quote number; returns the approved review's Id, or null. */
function addQuoteHistory(
  random: Random,
  quotes: DocumentWriter,
  deal: Row,
  lines: readonly Row[],
  dates: { readonly created: Instant; readonly finish: Instant },
): number | null {
  const { created: dealCreated, finish } = dates;
  const pending = random.chance(PENDING_HISTORY_SHARE);
  const firstCreated = between(
    random,
    dealCreated,
    dealCreated.seconds + Math.floor((finish.seconds - dealCreated.seconds) * FIRST_REVIEW_SPAN),
  );
  const secondCreated = between(random, firstCreated, finish.seconds);
  const secondUpdated = between(random, secondCreated, finish.seconds);
  const firstText = formatInstant(firstCreated);
  const secondText = formatInstant(secondCreated);
  quotes.number += 1;
  addQuote(quotes, deal, lines, {
    review: FIRST_REVIEW,
    last: false,
    status: pending ? APPROVAL_PENDING : APPROVAL_REJECTED,
    date: quotes.dates.dateOf(random, firstCreated, firstText),
    // Review 1 was last touched when review 2 replaced it.
    created: firstText,
    updated: secondText,
    reprice: random,
  });
  const second = addQuote(quotes, deal, lines, {
    review: SECOND_REVIEW,
    last: true,
    status: pending ? APPROVAL_PENDING : APPROVAL_APPROVED,
    date: quotes.dates.dateOf(random, secondCreated, secondText),
    created: secondText,
    updated: formatInstant(secondUpdated),
    reprice: null,
  });
  return pending ? null : second;
}

interface QuoteSpec {
  readonly review: number;
  readonly last: boolean;
  readonly status: number;
  readonly date: string;
  readonly created: string;
  readonly updated: string;
  /** When set, every line gets another price or discount (an earlier, rejected or superseded review). */
  readonly reprice: Random | null;
}

function addQuote(quotes: DocumentWriter, deal: Row, dealLines: readonly Row[], spec: QuoteSpec): number {
  const id = quotes.nextId();
  const lines: Row[] = [];
  let amount = 0;
  for (const line of dealLines) {
    let unitPrice = num(line.UnitPrice);
    let discount = num(line.Discount);
    let total = line.Total ?? null;
    if (spec.reprice) {
      ({ unitPrice, discount } = earlierTerms(spec.reprice, unitPrice, discount));
      total = lineTotal(num(line.Quantity), unitPrice, discount);
    }
    amount += num(total);
    lines.push({
      Id: quotes.nextLineId(),
      QuoteId: id,
      DealId: deal.Id ?? null,
      ContactId: deal.ContactId ?? null,
      QuoteDate: spec.date,
      ProductId: line.ProductId ?? null,
      ProductName: line.ProductName ?? null,
      Quantity: line.Quantity ?? null,
      UnitPrice: unitPrice,
      Discount: discount,
      Total: total,
      Ordination: line.Ordination ?? null,
    });
  }
  quotes.add({
    Id: id,
    QuoteNumber: quotes.number,
    ReviewNumber: spec.review,
    LastReview: spec.last,
    ApprovalStatusId: spec.status,
    DealId: deal.Id ?? null,
    ContactId: deal.ContactId ?? null,
    PersonId: deal.PersonId ?? null,
    Amount: round2(amount),
    Discount: NO_DOCUMENT_DISCOUNT,
    Date: spec.date,
    CurrencyId: CURRENCY_BRL,
    CreateDate: spec.created,
    LastUpdateDate: spec.updated,
  }, lines);
  return id;
}

/** Terms of an earlier review: no discount yet, or a higher unit price — never the final terms. */
function earlierTerms(random: Random, unitPrice: number, discount: number): { unitPrice: number; discount: number } {
  if (discount > 0 && random.chance(DISCOUNT_CAME_LATER_SHARE)) return { unitPrice, discount: 0 };
  const markup = random.int(FIRST_REVIEW_MARKUP_PERCENT.min, FIRST_REVIEW_MARKUP_PERCENT.max) / PERCENT;
  const higher = round2(unitPrice * (1 + markup));
  return { unitPrice: higher > unitPrice ? higher : round2(unitPrice + ONE_CENT), discount };
}

/** One order with all the deal's lines, or two that split them (each with at least one line). */
function addOrders(
  random: Random,
  orders: DocumentWriter,
  deal: Row,
  lines: readonly Row[],
  quoteId: number | null,
  finish: Instant,
  latest: number,
): void {
  const split = lines.length >= MIN_LINES_TO_SPLIT && random.chance(TWO_ORDERS_SHARE)
    ? random.int(1, lines.length - 1)
    : lines.length;
  const first = between(random, finish, Math.min(finish.seconds + ORDER_LAG_DAYS * DAY, latest));
  addOrder(random, orders, deal, lines, 0, split, first, quoteId, latest);
  if (split < lines.length) {
    const second = between(random, first, Math.min(first.seconds + ORDER_LAG_DAYS * DAY, latest));
    addOrder(random, orders, deal, lines, split, lines.length, second, quoteId, latest);
  }
}

function addOrder(
  random: Random,
  orders: DocumentWriter,
  deal: Row,
  dealLines: readonly Row[],
  from: number,
  to: number,
  created: Instant,
  quoteId: number | null,
  latest: number,
): void {
  const id = orders.nextId();
  const createdText = formatInstant(created);
  const date = orders.dates.dateOf(random, created, createdText);
  const updated = between(random, created, Math.min(created.seconds + LAST_UPDATE_DAYS * DAY, latest));
  const lines: Row[] = [];
  let amount = 0;
  for (let i = from; i < to; i++) {
    const line = dealLines[i];
    if (line === undefined) continue;
    amount += num(line.Total);
    lines.push({
      Id: orders.nextLineId(),
      OrderId: id,
      DealId: deal.Id ?? null,
      ContactId: deal.ContactId ?? null,
      OrderDate: date,
      ProductId: line.ProductId ?? null,
      ProductName: line.ProductName ?? null,
      Quantity: line.Quantity ?? null,
      UnitPrice: line.UnitPrice ?? null,
      Discount: line.Discount ?? null,
      Bonus: NO_BONUS,
      Total: line.Total ?? null,
      Ordination: i - from,
    });
  }
  orders.number += 1;
  orders.add({
    Id: id,
    OrderNumber: orders.number,
    Date: date,
    DealId: deal.Id ?? null,
    ContactId: deal.ContactId ?? null,
    PersonId: deal.PersonId ?? null,
    StageId: null,
    Amount: round2(amount),
    Discount: NO_DOCUMENT_DISCOUNT,
    OriginQuoteId: quoteId,
    CurrencyId: CURRENCY_BRL,
    CreateDate: createdText,
    LastUpdateDate: formatInstant(updated),
  }, lines);
}
