// Generates the simulator's data set from a seed: contacts, products, pipelines, deals with
// line items, and the orders and quotes of those deals. Same options → the same rows, byte for byte: every random choice comes from a
// seeded stream and every date is relative to a fixed epoch derived from the seed, never the
// clock. Each entity kind has its own stream, so more deals never changes the contacts.

import { type Instant, parseInstant } from "../instant.ts";
import { generateContacts, generateProducts } from "./catalog.ts";
import { generateDeals } from "./deals.ts";
import { type DocumentData, generateDocuments } from "./document-generator.ts";
import type { Row } from "./model.ts";
import { streamFor } from "./prng.ts";
import { DAY } from "./values.ts";

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
  readonly orders: DocumentData;
  readonly quotes: DocumentData;
}

/** Base of the derived epoch: 2025-06-30T18:00:00-03:00; the seed moves it back up to 30 days. */
const EPOCH_BASE_SECONDS = Date.UTC(2025, 5, 30, 21, 0, 0) / 1000;
const EPOCH_JITTER_DAYS = 30;

function deriveEpoch(seed: number): Instant {
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
    contacts,
    products,
    stages,
    lossReasons,
    lineItems,
  });
  const { orders, quotes } = generateDocuments(options.seed, deals, lineItems, epoch.seconds);
  return { epoch, contacts, products, deals, lineItems, pipelines, stages, lossReasons, orders, quotes };
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
