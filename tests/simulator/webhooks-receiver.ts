// A local webhook receiver for the simulator's webhook tests: it records every call it gets, in
// arrival order, and answers from a script of statuses (200 once the script is used up), so a test
// asserts exactly which calls arrived, in what order, and how a failing receiver is retried.

import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import type { Rec } from "./helpers.ts";

export interface ReceivedCall {
  readonly method: string;
  /** The path the call was sent to: registrations in a test differ by path. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body. */
  readonly body: Rec;
}

export interface Receiver {
  /** e.g. `http://127.0.0.1:41234`; append a path per registration. */
  readonly url: string;
  readonly calls: ReceivedCall[];
  /** The statuses of the next answers, in order; then 200 again. */
  answerWith(...statuses: number[]): void;
  /** Holds every answer back this long (0: answers at once). */
  answerAfter(ms: number): void;
  /** Forgets the calls, the script and the hold. */
  clear(): void;
  close(): Promise<void>;
}

const DEFAULT_STATUS = 200;

export async function startReceiver(): Promise<Receiver> {
  const calls: ReceivedCall[] = [];
  let script: number[] = [];
  let holdMs = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      calls.push({
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: JSON.parse(text) as Rec,
      });
      const status = script.shift() ?? DEFAULT_STATUS;
      const answer = () => {
        res.writeHead(status, { "content-type": "text/plain" });
        res.end(String(status));
      };
      if (holdMs > 0) setTimeout(answer, holdMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    answerWith: (...statuses) => {
      script = [...statuses];
    },
    answerAfter: (ms) => {
      holdMs = ms;
    },
    clear: () => {
      calls.length = 0;
      script = [];
      holdMs = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * A request to the API's `/Webhooks…` with the simulator's key unless `key` is given (null: none);
 * a string body is sent as is. Returns the status, the text and the parsed body (null when empty).
 */
export async function webhooksRequest(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown,
  key: string | null = sim.apiKey,
): Promise<{ status: number; text: string; json: unknown }> {
  const headers: Record<string, string> = key === null ? {} : { "User-Key": key };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(sim.url + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, text, json: text === "" ? null : JSON.parse(text) };
}

/** Registers a webhook and returns its Id; fails the test unless the API answers 200. */
export async function register(
  sim: Simulator,
  fields: { EntityId: number; ActionId: number; CallbackUrl: string; ValidationKey: string },
): Promise<number> {
  const { status, json } = await webhooksRequest(sim, "POST", "/Webhooks", fields);
  if (status !== 200) throw new Error(`POST /Webhooks answered ${status}: ${JSON.stringify(json)}`);
  const [registration] = (json as { value: Rec[] }).value;
  if (typeof registration?.Id !== "number") throw new Error(`no Id in ${JSON.stringify(json)}`);
  return registration.Id;
}

/** A port nothing listens on (it was free a moment ago): calls to it fail with ECONNREFUSED. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
