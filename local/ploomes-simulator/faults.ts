// Scheduled faults: "the next N matching API requests fail this way". Each kind imitates a
// failure a Ploomes client must survive (DESIGN §9, reference §6): slow answers and timeouts,
// 5xx/408 from the service or its gateway, 429 with Retry-After, an HTML-bodied 403, a dropped
// connection, and a JSON body cut short. Faults are consumed in the order they were added.

import { z } from "zod";
import { AdminError } from "./errors.ts";

export const FAULT_KINDS = ["latency", "status", "retryAfter429", "html403", "reset", "truncated"] as const;
export const FAULT_STATUSES = [500, 502, 503, 504, 408, 429] as const;
const DEFAULT_LATENCY_MS = 2000;
const DEFAULT_RETRY_AFTER_SECONDS = 1;
const DEFAULT_FAULT_STATUS = 503;

const faultSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  count: z.number().int().positive().default(1),
  status: z.union(FAULT_STATUSES.map((s) => z.literal(s))).optional(),
  latencyMs: z.number().int().nonnegative().optional(),
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  match: z.strictObject({ path: z.string().optional(), contains: z.string().optional() }).optional(),
});

export type FaultSpec = z.input<typeof faultSchema>;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  readonly id: number;
  readonly kind: FaultKind;
  /** Requests still to be hit. */
  remaining: number;
  readonly status: number;
  readonly latencyMs: number;
  readonly retryAfterSeconds: number;
  readonly match: { readonly path?: string | undefined; readonly contains?: string | undefined };
}

function parseFaultSpec(body: unknown): Omit<Fault, "id"> {
  const result = faultSchema.safeParse(body);
  if (!result.success) {
    throw new AdminError(400, "invalid fault", result.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`));
  }
  const spec = result.data;
  if (spec.status !== undefined && spec.kind !== "status") {
    throw new AdminError(400, "invalid fault", [`status applies only to kind "status", not "${spec.kind}"`]);
  }
  return {
    kind: spec.kind,
    remaining: spec.count,
    status: spec.status ?? DEFAULT_FAULT_STATUS,
    latencyMs: spec.latencyMs ?? DEFAULT_LATENCY_MS,
    retryAfterSeconds: spec.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
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
      (f.match.contains === undefined || rawUrl.includes(f.match.contains) || decodedUrl.includes(f.match.contains)));
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

/** What a fault answers instead of the real response (latency, reset and truncated are handled by the server). */
export function faultResponse(fault: Fault): { status: number; headers: Record<string, string>; body: string } {
  if (fault.kind === "html403") {
    return { status: 403, headers: { "content-type": "text/html; charset=utf-8" }, body: HTML_403 };
  }
  if (fault.kind === "retryAfter429") {
    return {
      status: 429,
      headers: { "content-type": "application/json; charset=utf-8", "retry-after": String(fault.retryAfterSeconds) },
      body: JSON.stringify({ error: { code: "", message: "Too many requests" } }),
    };
  }
  // Gateways answer 502/503/504 with an HTML page; the service itself answers JSON [inf].
  if (fault.status === 502 || fault.status === 503 || fault.status === 504) {
    return { status: fault.status, headers: { "content-type": "text/html; charset=utf-8" }, body: gatewayPage(fault.status) };
  }
  return {
    status: fault.status,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify({ error: { code: "", message: fault.status === 429 ? "Too many requests" : "An error has occurred." } }),
  };
}

/** The shape of the HTML 403 seen in the wild [obs: a page starting `<!DOCTYPE html PUBLIC`]. */
const HTML_403 = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>403 - Forbidden: Access is denied.</title></head>
<body><div id="header"><h1>Server Error</h1></div><div id="content"><fieldset>
<h2>403 - Forbidden: Access is denied.</h2>
<h3>You do not have permission to view this directory or page using the credentials that you supplied.</h3>
</fieldset></div></body></html>
`;

const GATEWAY_TITLES: Readonly<Record<number, string>> = {
  502: "502 Bad Gateway",
  503: "503 Service Unavailable",
  504: "504 Gateway Time-out",
};

function gatewayPage(status: number): string {
  const title = GATEWAY_TITLES[status] ?? `${status} Error`;
  return `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center></body></html>\n`;
}
