// Helpers for the simulator tests: start a server, call the API and the admin API over HTTP,
// and the tests' own reference code (CNPJ/CPF checksums, datetime comparison, sorting) so that
// expected values never come from the simulator's query engine.

import { expect } from "vitest";
import {
  type Simulator,
  type SimulatorOptions,
  type Snapshot,
  startSimulator,
} from "../../local/ploomes-simulator/index.ts";

export type Rec = Record<string, unknown>;

/** A rate limit far above anything a test sends, so only the rate-limit test meets it. */
const UNLIMITED_RPM = 1_000_000;

export function startTestSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ seed: 7, contacts: 300, products: 60, deals: 1200, rpm: UNLIMITED_RPM, ...options });
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** GET `pathAndQuery` (e.g. `/Deals?$top=3`) with the simulator's key unless `key` is given (null: none). */
export async function apiGet(
  sim: Simulator,
  pathAndQuery: string,
  key: string | null = sim.apiKey,
): Promise<ApiResponse> {
  const url = pathAndQuery.startsWith("http") ? pathAndQuery : sim.url + pathAndQuery;
  const response = await fetch(url, { headers: key === null ? {} : { "User-Key": key } });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** `/Deals` + params, encoded the way URLSearchParams does (`$` as %24, spaces as +, `+` as %2B). */
export function withQuery(resource: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  return query === "" ? resource : `${resource}?${query}`;
}

export interface Page {
  readonly context: string;
  readonly value: Rec[];
  readonly nextLink: string | undefined;
  readonly count: number | undefined;
  readonly raw: string;
}

export async function getPage(sim: Simulator, resource: string, params: Record<string, string> = {}): Promise<Page> {
  const response = await apiGet(sim, withQuery(resource, params));
  return pageOf(response);
}

export function pageOf(response: ApiResponse): Page {
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}: ${response.text.slice(0, 300)}`);
  const body = JSON.parse(response.text) as Rec;
  expect(Array.isArray(body.value)).toBe(true);
  return {
    context: String(body["@odata.context"]),
    value: body.value as Rec[],
    nextLink: typeof body["@odata.nextLink"] === "string" ? body["@odata.nextLink"] : undefined,
    count: typeof body["@odata.count"] === "number" ? body["@odata.count"] : undefined,
    raw: response.text,
  };
}

export async function admin(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${sim.url}/__sim${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === "" ? null : JSON.parse(text) };
}

export async function fetchSnapshot(sim: Simulator): Promise<Snapshot> {
  const { status, json } = await admin(sim, "GET", "/snapshot");
  expect(status).toBe(200);
  return json as Snapshot;
}

export const ids = (rows: readonly Rec[]): number[] => rows.map((r) => num(r.Id));

export function num(value: unknown): number {
  if (typeof value !== "number") throw new Error(`expected a number, got ${JSON.stringify(value)}`);
  return value;
}

export function str(value: unknown): string {
  if (typeof value !== "string") throw new Error(`expected a string, got ${JSON.stringify(value)}`);
  return value;
}

// ---- the tests' own reference code ------------------------------------------------------

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})$/;
const TICK_DIGITS = 7;

/** An ISO-8601 datetime as 100-ns ticks since 1970, exact for all 7 fractional digits. */
export function ticksOf(iso: string): bigint {
  const m = ISO.exec(iso);
  if (!m) throw new Error(`not an ISO-8601 datetime with offset: ${iso}`);
  const [, base = "", fraction = "", zone = ""] = m;
  const wholeMs = Date.parse(base + zone);
  return BigInt(wholeMs / 1000) * 10_000_000n + BigInt(fraction.padEnd(TICK_DIGITS, "0"));
}

export function compareDates(a: string, b: string): number {
  const x = ticksOf(a);
  const y = ticksOf(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The same instant written in UTC with `Z`, keeping every fractional digit. */
export function toUtcLiteral(iso: string): string {
  const m = ISO.exec(iso);
  if (!m) throw new Error(`not an ISO-8601 datetime with offset: ${iso}`);
  const [, base = "", fraction = "", zone = ""] = m;
  const utc = new Date(Date.parse(base + zone)).toISOString().slice(0, 19);
  return `${utc}${fraction ? `.${fraction}` : ""}Z`;
}

const CNPJ_W1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

function mod11(digits: number[], weights: number[]): number {
  const sum = weights.reduce((acc, w, i) => acc + w * (digits[i] ?? 0), 0);
  const r = sum % 11;
  return r < 2 ? 0 : 11 - r;
}

export function isValidCnpj(text: string): boolean {
  const digits = text.replace(/\D/g, "").split("").map(Number);
  if (digits.length !== 14) return false;
  return mod11(digits, CNPJ_W1) === digits[12] && mod11(digits, CNPJ_W2) === digits[13];
}

export function isValidCpf(text: string): boolean {
  const digits = text.replace(/\D/g, "").split("").map(Number);
  if (digits.length !== 11 || digits.every((d) => d === digits[0])) return false;
  const check = (n: number) => {
    const sum = digits.slice(0, n).reduce((acc, d, i) => acc + d * (n + 1 - i), 0);
    const r = (sum * 10) % 11;
    return r === 10 ? 0 : r;
  };
  return check(9) === digits[9] && check(10) === digits[10];
}

/** Sorts copies of rows by keys (asc/desc), nulls first, ties by Id ascending. */
export function sortBy(rows: readonly Rec[], keys: readonly { key: string; desc?: boolean; date?: boolean }[]): Rec[] {
  const cmp = (a: unknown, b: unknown, date: boolean): number => {
    if (a === null || a === undefined || b === null || b === undefined) {
      return a === b || (a == null && b == null) ? 0 : a == null ? -1 : 1;
    }
    if (date) return compareDates(str(a), str(b));
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  };
  return [...rows].sort((x, y) => {
    for (const { key, desc = false, date = false } of keys) {
      const order = cmp(x[key], y[key], date);
      if (order !== 0) return desc ? -order : order;
    }
    return num(x.Id) - num(y.Id);
  });
}

/** Follows @odata.nextLink from a first page until there is none; returns every row in order. */
export async function followNextLinks(
  sim: Simulator,
  first: Page,
  maxPages = 1000,
): Promise<{ rows: Rec[]; pages: number }> {
  const rows = [...first.value];
  let page = first;
  let pages = 1;
  while (page.nextLink !== undefined) {
    if (pages >= maxPages) throw new Error(`more than ${maxPages} pages: nextLink does not end`);
    page = pageOf(await apiGet(sim, page.nextLink));
    rows.push(...page.value);
    pages++;
  }
  return { rows, pages };
}

const POLL_INTERVAL_MS = 5;
const DEFAULT_WAIT_MS = 5000;

/** Polls until `condition` holds: waiting for a state the test can observe, never for a guessed time. */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
