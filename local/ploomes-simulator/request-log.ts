// The log of API requests (admin calls are left out), so tests can count pages, retries and
// throttled answers. Times come from the injected clock; the log is capped to bound memory
// during long benchmark runs.

import type { FaultKind } from "./faults.ts";

export interface RequestLogEntry {
  readonly method: string;
  /** Path and query as the client sent them (still percent-encoded). */
  readonly url: string;
  /** The status answered; 0 when the connection was dropped without an answer. */
  readonly status: number;
  /** ISO-8601 UTC time the request arrived, from the simulator's clock. */
  readonly at: string;
  /** Account of the User-Key, or null when the key was missing or unknown. */
  readonly account: string | null;
  readonly fault?: FaultKind;
  /** Why the simulator refused the request (e.g. which name caused a 403); never sent to the client. */
  readonly note?: string;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];

  constructor(private readonly limit: () => number) {}

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    const excess = this.entries.length - this.limit();
    if (excess > 0) this.entries.splice(0, excess);
  }

  list(): RequestLogEntry[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }
}
