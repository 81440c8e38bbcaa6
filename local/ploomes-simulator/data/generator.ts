// Generates the simulator's data set from a seed: contacts, products, pipelines and deals with
// line items. Same options → the same rows, byte for byte: every random choice comes from a
// seeded stream and every date is relative to a fixed epoch derived from the seed, never the
// clock. Each entity kind has its own stream, so more deals never changes the contacts.

import { addSeconds, compareInstants, formatInstant, type Instant, parseInstant, TICKS_PER_SECOND } from "../instant.ts";
import {
  emailFor, generateCnpj, generateCompanyName, generateCpf, generatePersonName,
  generateProductTemplate,
} from "./brazil.ts";
import {
  CONTACT_TYPE_COMPANY, CONTACT_TYPE_PERSON, CURRENCY_BRL, type Row, STATUS_LOST, STATUS_OPEN,
  STATUS_WON,
} from "./model.ts";
import { Random, streamFor } from "./prng.ts";

export interface GeneratorOptions {
  readonly seed: number;
  readonly contacts: number;
  readonly products: number;
  readonly deals: number;
  /** ISO-8601 instant all generated dates precede; derived from the seed when absent. */
  readonly epoch?: string | undefined;
}

export interface Dataset {
  readonly epoch: Instant;
  readonly contacts: Row[];
  readonly products: Row[];
  readonly deals: Row[];
  readonly lineItems: Map<number, Row[]>;
  readonly pipelines: Row[];
  readonly stages: Row[];
  readonly lossReasons: Row[];
}

const DAY = 86_400;
const YEAR = 365 * DAY;
/** Base of the derived epoch: 2025-06-30T18:00:00-03:00; the seed moves it back up to 30 days. */
const EPOCH_BASE_SECONDS = Date.UTC(2025, 5, 30, 21, 0, 0) / 1000;
const EPOCH_JITTER_DAYS = 30;

export const FIRST_CONTACT_ID = 100_000_001;
export const FIRST_PRODUCT_ID = 10_000_001;
export const FIRST_DEAL_ID = 500_000_001;
export const FIRST_LINE_ITEM_ID = 300_000_001;
const OWNER_IDS = [10003850, 10003857, 10003862, 10003871, 10003880, 10003894, 10003901, 10003915];
const MAX_LINE_ITEMS = 6;

/** How many fraction digits a generated timestamp shows (trailing zeros are trimmed anyway). */
const FRACTION_DIGITS: readonly (readonly [number, number])[] = [
  [0, 10], [1, 8], [2, 17], [3, 40], [4, 6], [5, 6], [6, 6], [7, 7],
];
/** Deal outcome mix of a typical B2B funnel: more lost than won, a quarter still open. */
const STATUS_MIX: readonly (readonly [number, number])[] = [
  [STATUS_OPEN, 25], [STATUS_WON, 35], [STATUS_LOST, 40],
];
const LINE_COUNT_MIX: readonly (readonly [number, number])[] = [
  [0, 15], [1, 30], [2, 22], [3, 14], [4, 9], [5, 6], [6, 4],
];
const DISCOUNTS = [2, 3, 5, 7.5, 10, 12, 15, 20, 25];

export const round2 = (value: number): number => Math.round(value * 100) / 100;

/** A fraction of a second in ticks showing 0–7 digits once trailing zeros are trimmed. */
export function randomFractionTicks(random: Random): number {
  const digits = random.weighted(FRACTION_DIGITS);
  const scale = 10 ** digits;
  return digits === 0 ? 0 : random.int(1, scale - 1) * (TICKS_PER_SECOND / scale);
}

function randomInstant(random: Random, fromSeconds: number, toSeconds: number): Instant {
  const ticks = randomFractionTicks(random);
  return { seconds: random.int(Math.ceil(fromSeconds), Math.floor(toSeconds)), ticks };
}

/** Log-uniform money amount: small values are common, large ones rare but present. */
function money(random: Random, min: number, max: number): number {
  return round2(Math.exp(Math.log(min) + random.next() * (Math.log(max) - Math.log(min))));
}

function nextId(random: Random, previous: number, gapChance: number, maxGap: number): number {
  return previous + (random.chance(gapChance) ? random.int(2, maxGap) : 1);
}

export function deriveEpoch(seed: number): Instant {
  const jitter = streamFor(seed, "epoch").int(0, EPOCH_JITTER_DAYS * DAY);
  return { seconds: EPOCH_BASE_SECONDS - jitter, ticks: 0 };
}

export function generateDataset(options: GeneratorOptions): Dataset {
  const epoch = options.epoch === undefined ? deriveEpoch(options.seed) : parseEpoch(options.epoch);
  const { pipelines, stages, lossReasons } = generatePipelines();
  const contacts = generateContacts(streamFor(options.seed, "contacts"), options.contacts, epoch.seconds);
  const products = generateProducts(streamFor(options.seed, "products"), options.products, epoch.seconds);
  const lineItems = new Map<number, Row[]>();
  const deals = generateDeals(streamFor(options.seed, "deals"), options.deals, epoch.seconds, {
    contacts, products, stages, lossReasons, lineItems,
  });
  return { epoch, contacts, products, deals, lineItems, pipelines, stages, lossReasons };
}

function parseEpoch(text: string): Instant {
  const parsed = parseInstant(text);
  if (!parsed) throw new Error(`epoch must be ISO-8601 with an offset, got ${JSON.stringify(text)}`);
  return parsed;
}

function generatePipelines(): Pick<Dataset, "pipelines" | "stages" | "lossReasons"> {
  const pipelines: Row[] = [
    { Id: 10000968, Name: "Funil de Vendas" },
    { Id: 10000969, Name: "Projetos Especiais" },
  ];
  const stageNames = ["Prospecção", "Qualificação", "Proposta", "Negociação", "Fechamento"];
  const reasonNames = ["Preço", "Concorrência", "Sem orçamento"];
  const stages: Row[] = [];
  const lossReasons: Row[] = [];
  pipelines.forEach((pipeline, p) => {
    stageNames.forEach((name, i) => {
      stages.push({ Id: 10004990 + p * 10 + i, Name: name, PipelineId: pipeline.Id ?? null, Ordination: i });
    });
    reasonNames.forEach((name, i) => {
      lossReasons.push({ Id: 20000101 + p * 10 + i, Name: name, PipelineId: pipeline.Id ?? null });
    });
  });
  return { pipelines, stages, lossReasons };
}

function generateContacts(random: Random, count: number, epochSeconds: number): Row[] {
  const contacts: Row[] = [];
  const companyIds: number[] = [];
  const usedDocuments = new Set<string>();
  const uniqueDocument = (make: () => string): string => {
    let doc = make();
    while (usedDocuments.has(doc)) doc = make();
    usedDocuments.add(doc);
    return doc;
  };
  let id = FIRST_CONTACT_ID - 1;
  for (let i = 0; i < count; i++) {
    id = nextId(random, id, 0.3, 12);
    const created = randomInstant(random, epochSeconds - 6 * YEAR, epochSeconds - 30 * DAY);
    const updated = randomInstant(random, created.seconds, epochSeconds - 1);
    const isCompany = random.chance(0.72);
    const base = {
      Id: id, StatusId: random.int(1, 3), OwnerId: random.pick(OWNER_IDS), OriginId: null,
      CreateDate: formatInstant(created), LastUpdateDate: formatInstant(updated),
    };
    if (isCompany) {
      const { name, legalName } = generateCompanyName(random);
      const cnpj = random.chance(0.95) ? uniqueDocument(() => generateCnpj(random)) : null;
      contacts.push({
        ...base, Name: name, LegalName: legalName, TypeId: CONTACT_TYPE_COMPANY, CNPJ: cnpj, CPF: null,
        Register: cnpj, CompanyId: null, Email: emailFor("contato", name),
      });
      companyIds.push(id);
    } else {
      const name = generatePersonName(random);
      const cpf = random.chance(0.92) ? uniqueDocument(() => generateCpf(random)) : null;
      const companyId = companyIds.length > 0 && random.chance(0.6) ? random.pick(companyIds) : null;
      contacts.push({
        ...base, Name: name, LegalName: null, TypeId: CONTACT_TYPE_PERSON, CNPJ: null, CPF: cpf,
        Register: cpf, CompanyId: companyId, Email: emailFor(name, random.pick(["gmail", "outlook", "uol", "terra"])),
      });
    }
  }
  return contacts.map(orderContact);
}

/** Key order of a contact as the model declares it, so snapshots read like API rows. */
function orderContact(c: Row): Row {
  return {
    Id: c.Id ?? null, Name: c.Name ?? null, LegalName: c.LegalName ?? null, TypeId: c.TypeId ?? null,
    CNPJ: c.CNPJ ?? null, CPF: c.CPF ?? null, Register: c.Register ?? null, CompanyId: c.CompanyId ?? null,
    StatusId: c.StatusId ?? null, OwnerId: c.OwnerId ?? null, OriginId: c.OriginId ?? null,
    Email: c.Email ?? null, CreateDate: c.CreateDate ?? null, LastUpdateDate: c.LastUpdateDate ?? null,
  };
}

function generateProducts(random: Random, count: number, epochSeconds: number): Row[] {
  const products: Row[] = [];
  let id = FIRST_PRODUCT_ID - 1;
  for (let i = 0; i < count; i++) {
    id = nextId(random, id, 0.2, 9);
    const template = generateProductTemplate(random);
    const created = randomInstant(random, epochSeconds - 6 * YEAR, epochSeconds - YEAR);
    const updated = randomInstant(random, created.seconds, epochSeconds - 1);
    products.push({
      Id: id,
      Code: `${template.measurementUnit}-${String(1000 + i * 7).padStart(5, "0")}`,
      Name: template.name,
      UnitPrice: money(random, template.minPrice, template.maxPrice),
      CurrencyId: CURRENCY_BRL,
      GroupId: 400001 + random.int(0, 4),
      FamilyId: random.chance(0.8) ? 500001 + random.int(0, 2) : null,
      Suspended: random.chance(0.08),
      MeasurementUnit: template.measurementUnit,
      CreateDate: formatInstant(created),
      LastUpdateDate: formatInstant(updated),
    });
  }
  return products;
}

interface DealContext {
  readonly contacts: readonly Row[];
  readonly products: readonly Row[];
  readonly stages: readonly Row[];
  readonly lossReasons: readonly Row[];
  readonly lineItems: Map<number, Row[]>;
}

function generateDeals(random: Random, count: number, epochSeconds: number, ctx: DealContext): Row[] {
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
    const amount = lines.length > 0 && random.chance(0.9) ? linesTotal : random.chance(0.05) ? 0 : money(random, 500, 200_000);
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

/** Midnight of the same local (-03:00) day: Ploomes shows such date-only values as `T00:00:00-03:00`. */
function midnightOf(instant: Instant): Instant {
  const localOffset = 3 * 3600;
  const local = instant.seconds - localOffset;
  return addSeconds({ seconds: local - (((local % DAY) + DAY) % DAY), ticks: 0 }, localOffset);
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

/** Quantity × UnitPrice × (1 − Discount/100), rounded to cents; Discount is a percentage. */
export function lineTotal(quantity: number, unitPrice: number, discount: number): number {
  return round2(quantity * unitPrice * (1 - discount / 100));
}
