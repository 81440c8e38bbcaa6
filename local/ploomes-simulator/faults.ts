// Scheduled faults: "the next N matching API requests fail this way". Each kind imitates a
// failure a Ploomes client must survive (the simulator README lists them): slow answers and timeouts,
// 5xx/408 from the service or its gateway, 429 with Retry-After, an HTML-bodied 403, a dropped
// connection, and a JSON body cut short. Further kinds are test devices for a client's defences,
// not claims about the real API: what a proxy in front of any API may answer (an HTML 200, an
// empty 200, a redirect) [inf], a misbehaving server's pages (an empty page in the middle of the
// data, a foreign nextLink, rows repeated from another page), and a request held until the test
// lets it go. Faults are consumed in the order they were added. What each kind answers is in
// fault-answers.ts; the server applies them.

import { z } from "zod";
import { AdminError } from "./errors.ts";

export const FAULT_KINDS = [
  "latency",
  "status",
  "retryAfter429",
  "html403",
  "reset",
  "truncated",
  "html200",
  "empty200",
  "emptyPage",
  "redirect",
  "nextLink",
  "hold",
  "prependRows",
] as const;
export const FAULT_STATUSES = [500, 502, 503, 504, 408, 429] as const;
const DEFAULT_LATENCY_MS = 2000;
/** A held request goes on by itself after this long: a safety bound for a test that never releases. */
const DEFAULT_HOLD_MS = 30_000;
const DEFAULT_RETRY_AFTER_SECONDS = 1;
const DEFAULT_FAULT_STATUS = 503;

const faultSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  count: z.number().int().positive().default(1),
  status: z.union(FAULT_STATUSES.map((s) => z.literal(s))).optional(),
  latencyMs: z.number().int().nonnegative().optional(),
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  location: z.string().optional(),
  ids: z.array(z.number().int().positive()).min(1).optional(),
  match: z.strictObject({ path: z.string().optional(), contains: z.string().optional() }).optional(),
});

export type FaultSpec = z.input<typeof faultSchema>;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The optional fields that only some kinds use. */
type KindField = "status" | "latencyMs" | "retryAfterSeconds" | "location" | "ids";
const KIND_FIELDS: readonly KindField[] = ["status", "latencyMs", "retryAfterSeconds", "location", "ids"];

/**
 * The fields each kind reads, and which of them it cannot do without. A field given to a kind that
 * ignores it is refused: it is almost always a mistake (a wrong `kind`, or a field name from
 * another fault) that would otherwise pass silently and test nothing.
 */
const FIELDS_OF_KIND: Readonly<
  Record<FaultKind, { readonly uses: readonly KindField[]; readonly requires: readonly KindField[] }>
> = {
  latency: { uses: ["latencyMs"], requires: [] },
  status: { uses: ["status"], requires: [] },
  retryAfter429: { uses: ["retryAfterSeconds"], requires: [] },
  html403: { uses: [], requires: [] },
  reset: { uses: [], requires: [] },
  truncated: { uses: [], requires: [] },
  html200: { uses: [], requires: [] },
  empty200: { uses: [], requires: [] },
  emptyPage: { uses: [], requires: [] },
  redirect: { uses: ["location"], requires: ["location"] },
  nextLink: { uses: ["location"], requires: ["location"] },
  hold: { uses: ["latencyMs"], requires: [] },
  prependRows: { uses: ["ids"], requires: ["ids"] },
};

/** What Node accepts in a header value (tab, printable ASCII, Latin-1); anything else would crash the answer. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export interface Fault {
  readonly id: number;
  readonly kind: FaultKind;
  /** Requests still to be hit. */
  remaining: number;
  readonly status: number;
  /** latency: the delay; hold: the bound after which the request goes on by itself. */
  readonly latencyMs: number;
  readonly retryAfterSeconds: number;
  /** redirect: the Location header; nextLink: the @odata.nextLink served. Null for other kinds. */
  readonly location: string | null;
  /** prependRows: Ids of rows of the requested set put before the page. Empty for other kinds. */
  readonly ids: readonly number[];
  readonly match: { readonly path?: string | undefined; readonly contains?: string | undefined };
}

/** Every mismatch between the kind and the fields given, so one answer lists them all. */
function kindProblems(spec: z.output<typeof faultSchema>): string[] {
  const { uses, requires } = FIELDS_OF_KIND[spec.kind];
  const problems: string[] = [];
  for (const field of KIND_FIELDS) {
    const given = spec[field] !== undefined;
    if (given && !uses.includes(field)) {
      const users = FAULT_KINDS.filter((k) => FIELDS_OF_KIND[k].uses.includes(field)).map((k) => `"${k}"`);
      problems.push(`${field} applies only to kind ${users.join(" or ")}, not "${spec.kind}"`);
    }
    if (!given && requires.includes(field)) problems.push(`kind "${spec.kind}" needs ${field}`);
  }
  if (spec.kind === "redirect" && spec.location !== undefined && !HEADER_VALUE.test(spec.location)) {
    problems.push(
      "location of a redirect must be a valid header value (no line breaks or control characters; percent-encode the rest)",
    );
  }
  return problems;
}

function parseFaultSpec(body: unknown): Omit<Fault, "id"> {
  const result = faultSchema.safeParse(body);
  if (!result.success) {
    throw new AdminError(
      400,
      "invalid fault",
      result.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`),
    );
  }
  const spec = result.data;
  const problems = kindProblems(spec);
  if (problems.length > 0) throw new AdminError(400, "invalid fault", problems);
  return {
    kind: spec.kind,
    remaining: spec.count,
    status: spec.status ?? DEFAULT_FAULT_STATUS,
    latencyMs: spec.latencyMs ?? (spec.kind === "hold" ? DEFAULT_HOLD_MS : DEFAULT_LATENCY_MS),
    retryAfterSeconds: spec.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
    location: spec.location ?? null,
    ids: spec.ids ?? [],
    match: spec.match ?? {},
  };
}

export class FaultSchedule {
  private faults: Fault[] = [];
  private nextId = 1;

  add(body: unknown): Fault {
    const fault = { id: this.nextId++, ...parseFaultSpec(body) };
    this.faults.push(fault);
    return fault;
  }

  /**
   * Takes one hit of the first pending fault matching this request. `path` is the decoded path;
   * `match.contains` is looked for in both the raw and the decoded URL, so tests can write
   * either `$skip=300` or `%24skip=300`.
   */
  take(path: string, rawUrl: string, decodedUrl: string): Fault | undefined {
    const fault = this.faults.find((f) =>
      f.remaining > 0 &&
      (f.match.path === undefined || f.match.path === path) &&
      (f.match.contains === undefined || rawUrl.includes(f.match.contains) || decodedUrl.includes(f.match.contains))
    );
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining === 0) this.faults = this.faults.filter((f) => f !== fault);
    return { ...fault };
  }

  pending(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clear(): void {
    this.faults = [];
  }
}
