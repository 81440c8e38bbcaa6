// Test doubles for fetchFullPages/fetchIncrementalPages: a client that answers from a script (getPage and getAbsolute
// alike, in order) and records what was asked, plus small helpers to run and inspect a pass.
import type { PageResponse, PloomesClient } from "../../supabase/functions/_shared/ploomes/client.ts";
import { PloomesError } from "../../supabase/functions/_shared/ploomes/errors.ts";
import { fetchFullPages } from "../../supabase/functions/_shared/ploomes/pages.ts";
import type { DealPage } from "../../supabase/functions/_shared/ploomes/pages.ts";
import type { FullPosition } from "../../supabase/functions/_shared/ploomes/odata.ts";

export const BASE = "https://public-api2.ploomes.com";
export const DEADLINE = Date.UTC(2030, 0, 1);

export interface Call {
  readonly kind: "page" | "absolute";
  /** The path given to getPage, or the absolute URL given to getAbsolute. */
  readonly target: string;
}

export interface Answer {
  readonly value: unknown[];
  readonly nextLink?: string;
}

export type FakePagesClient = Pick<PloomesClient, "getPage" | "getAbsolute" | "origin">;

/** A client on `BASE` that answers from a script and records what was asked, in order. */
export function fakeClient(answers: readonly Answer[]): { client: FakePagesClient; calls: Call[] } {
  const calls: Call[] = [];
  const answer = (call: Call): PageResponse => {
    calls.push(call);
    const next = answers[calls.length - 1];
    if (next === undefined) throw new Error(`unexpected request #${calls.length}: ${call.target}`);
    return { value: next.value, nextLink: next.nextLink ?? null, url: urlOf(call) };
  };
  const client: FakePagesClient = {
    origin: BASE,
    getPage: async (target) => answer({ kind: "page", target }),
    getAbsolute: async (target) => answer({ kind: "absolute", target }),
  };
  return { client, calls };
}

export const EMPTY: Answer = { value: [] };

export const urlOf = (call: Call): string => (call.kind === "page" ? `${BASE}${call.target}` : call.target);

export const ids = (...values: number[]) => values.map((Id) => ({ Id }));

export const filterOf = (call: Call | undefined): string | null =>
  call === undefined ? null : new URL(urlOf(call)).searchParams.get("$filter");

export async function collect<T>(pages: AsyncGenerator<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const page of pages) result.push(page);
  return result;
}

export async function rejection(promise: Promise<unknown>): Promise<PloomesError> {
  const error = await promise.then(
    () => new Error("expected a rejection"),
    (reason: unknown) => reason,
  );
  if (!(error instanceof PloomesError)) throw error;
  return error;
}

/** Every page of a full pass from `position` (the start by default). */
export function fullPass(
  client: FakePagesClient,
  pageSize: number,
  position: FullPosition = { lastId: null },
): Promise<DealPage<FullPosition>[]> {
  return collect(fetchFullPages({ client, position, pageSize, includeProducts: true, deadlineMs: DEADLINE }));
}
