// Generates deals and their line items: outcome mix, skewed customers (a few buy often), Ploomes-
// style dates (FinishDate only when closed, LastUpdateDate after it, some deliberate ties), line
// items at catalog or custom prices with percentage discounts, and amounts from the lines.

import { compareInstants, formatInstant, type Instant } from "../instant.ts";
import { CURRENCY_BRL, type Row, STATUS_LOST, STATUS_OPEN, STATUS_WON } from "./model.ts";
import type { Random } from "./prng.ts";
import {
  DAY,
  FIRST_DEAL_ID,
  FIRST_LINE_ITEM_ID,
  lineTotal,
  midnightOf,
  money,
  nextId,
  OWNER_IDS,
  randomInstant,
  round2,
  YEAR,
} from "./values.ts";

const MAX_LINE_ITEMS = 6;
/** Deal outcome mix of a typical B2B funnel: more lost than won, a quarter still open. */
const STATUS_MIX: readonly (readonly [number, number])[] = [
  [STATUS_OPEN, 25],
  [STATUS_WON, 35],
  [STATUS_LOST, 40],
];
const LINE_COUNT_MIX: readonly (readonly [number, number])[] = [
  [0, 15],
  [1, 30],
  [2, 22],
  [3, 14],
  [4, 9],
  [5, 6],
  [6, 4],
];
const DISCOUNTS = [2, 3, 5, 7.5, 10, 12, 15, 20, 25];

export interface DealContext {
  readonly contacts: readonly Row[];
  readonly products: readonly Row[];
  readonly stages: readonly Row[];
  readonly lossReasons: readonly Row[];
  readonly lineItems: Map<number, Row[]>;
}

export function generateDeals(random: Random, count: number, epochSeconds: number, ctx: DealContext): Row[] {
  const peopleByCompany = new Map<number, Row[]>();
  for (const c of ctx.contacts) {
    if (typeof c.CompanyId === "number") {
      const list = peopleByCompany.get(c.CompanyId) ?? [];
      list.push(c);
      peopleByCompany.set(c.CompanyId, list);
    }
  }
  const deals: Row[] = [];
  const lineIds = { next: FIRST_LINE_ITEM_ID };
  let id = FIRST_DEAL_ID - 1;
  let previousUpdate: Instant | null = null;
  for (let i = 0; i < count; i++) {
    id = nextId(random, id, 0.25, 25);
    const status = random.weighted(STATUS_MIX);
    // Open deals are young; closed ones spread over four years.
    const span = status === STATUS_OPEN ? YEAR : 4 * YEAR;
    const created = randomInstant(random, epochSeconds - span, epochSeconds - 2 * DAY);
    const finish = status === STATUS_OPEN
      ? null
      : randomInstant(random, created.seconds + 3600, Math.min(created.seconds + 120 * DAY, epochSeconds - DAY));
    const settled = finish ?? created;
    let updated = random.chance(0.4) && finish
      ? finish
      : randomInstant(random, settled.seconds, Math.min(settled.seconds + 60 * DAY, epochSeconds - 1));
    // Same second as the settle date but a smaller fraction would put the update before it.
    if (compareInstants(updated, settled) < 0) updated = settled;
    // Bulk edits give several deals the very same LastUpdateDate: the keyset's tie-breaker on Id matters.
    if (previousUpdate && random.chance(0.03) && previousUpdate.seconds >= settled.seconds) updated = previousUpdate;
    previousUpdate = updated;

    // Customers are skewed: a few buy often, many rarely (index ~ u², older contacts first).
    const contact = ctx.contacts.length > 0 && random.chance(0.95)
      ? ctx.contacts[Math.floor(ctx.contacts.length * random.next() ** 2)] ?? null
      : null;
    const people = typeof contact?.Id === "number" ? (peopleByCompany.get(contact.Id) ?? []) : [];
    const person = people.length > 0 && random.chance(0.4) ? random.pick(people) : null;
    const stage = pickStage(random, ctx.stages, status);
    const lines = generateLineItems(random, id, ctx.products, lineIds);
    if (lines.length > 0) ctx.lineItems.set(id, lines);
    const linesTotal = round2(lines.reduce((sum, l) => sum + (typeof l.Total === "number" ? l.Total : 0), 0));
    const amount = lines.length > 0 && random.chance(0.9)
      ? linesTotal
      : random.chance(0.05)
      ? 0
      : money(random, 500, 200_000);
    const startDate = random.chance(0.3) ? midnightOf(created) : created;
    deals.push({
      Id: id,
      Title: dealTitle(random, lines, contact, i),
      ContactId: contact?.Id ?? null,
      ContactName: contact?.Name ?? null,
      PersonId: person?.Id ?? null,
      PersonName: person?.Name ?? null,
      PipelineId: stage.PipelineId ?? null,
      StageId: stage.Id ?? null,
      StatusId: status,
      Amount: amount,
      StartAmount: random.chance(0.8) ? amount : money(random, 500, 200_000),
      CurrencyId: CURRENCY_BRL,
      OwnerId: random.pick(OWNER_IDS),
      CreatorId: random.pick(OWNER_IDS),
      LossReasonId: status === STATUS_LOST ? (pickLossReason(random, ctx.lossReasons, stage.PipelineId) ?? null) : null,
      OriginId: null,
      DealNumber: null,
      CreateDate: formatInstant(created),
      StartDate: formatInstant(startDate),
      FinishDate: finish ? formatInstant(finish) : null,
      LastUpdateDate: formatInstant(updated),
    });
  }
  return deals;
}

function pickStage(random: Random, stages: readonly Row[], status: number): Row {
  const pipelineId = random.chance(0.8) ? stages[0]?.PipelineId : stages[stages.length - 1]?.PipelineId;
  const ofPipeline = stages.filter((s) => s.PipelineId === pipelineId);
  // A won deal sits in the last stage; open and lost deals anywhere.
  const last = ofPipeline[ofPipeline.length - 1];
  if (status === STATUS_WON && last) return last;
  return random.pick(ofPipeline);
}

function pickLossReason(random: Random, reasons: readonly Row[], pipelineId: unknown): number | undefined {
  const ofPipeline = reasons.filter((r) => r.PipelineId === pipelineId);
  const id = ofPipeline.length > 0 ? random.pick(ofPipeline).Id : undefined;
  return typeof id === "number" ? id : undefined;
}

function dealTitle(random: Random, lines: readonly Row[], contact: Row | null, index: number): string {
  const subject = typeof lines[0]?.ProductName === "string"
    ? lines[0].ProductName
    : random.pick(["Projeto", "Contrato anual", "Renovação", "Implantação", "Fornecimento"]);
  return contact && typeof contact.Name === "string" ? `${subject} - ${contact.Name}` : `${subject} #${index + 1}`;
}

function generateLineItems(random: Random, dealId: number, products: readonly Row[], ids: { next: number }): Row[] {
  const count = Math.min(random.weighted(LINE_COUNT_MIX), products.length, MAX_LINE_ITEMS);
  const chosen = new Set<Row>();
  while (chosen.size < count) chosen.add(random.pick(products));
  return [...chosen].map((product, ordination) => {
    const catalog = typeof product.UnitPrice === "number" ? product.UnitPrice : 0;
    let unitPrice = catalog;
    if (random.chance(0.25)) {
      unitPrice = round2(catalog * (0.85 + random.next() * 0.25));
      if (Math.abs(unitPrice - catalog) <= 0.005) unitPrice = round2(catalog * 0.9);
    }
    const discount = random.chance(0.005) ? 100 : random.chance(0.3) ? random.pick(DISCOUNTS) : 0;
    const unit = product.MeasurementUnit;
    const quantity = unit === "M" || unit === "KG" || unit === "L"
      ? Math.round((1 + random.next() * 499) * 10) / 10
      : Math.max(1, Math.round(20 * random.next() ** 3));
    const id = ids.next;
    ids.next = nextId(random, id, 0.1, 5);
    return {
      Id: id,
      DealId: dealId,
      ProductId: product.Id ?? null,
      ProductName: product.Name ?? null,
      Quantity: quantity,
      UnitPrice: unitPrice,
      Discount: discount,
      Total: lineTotal(quantity, unitPrice, discount),
      Ordination: ordination,
    };
  });
}
