// Alerts through the real path: failed runs of the real function, the evaluation SQL the
// sync-customer-sales-alerts job runs, pg_net (the stand-in's worker) and a local receiver in
// the place of a Slack webhook. Two failures in a row open one incident and send one message;
// a later success resolves it and sends one more; evaluating again sends nothing.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Simulator } from "../../local/ploomes-simulator/index.ts";
import { requireStackKeys } from "../../local/stack/keys.ts";
import { callFunction, passToEnd } from "../../scripts/lib/gateway-sync.ts";
import { connectDb, setVaultSecret, waitFor } from "../support/stack.ts";
import { configureFunction, resetSyncState, restoreFunctionEnv, startTestSimulator } from "../support/sync-harness.ts";

/** pg_net's worker picks a queued request up within a second or two. */
const DELIVERY_TIMEOUT_MS = 30_000;
/** The part of a chat webhook URL that is its secret. */
const HOOK_PATH = "/services/T0000/B0000/not-a-real-webhook-token";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let db: pg.Client;
let sim: Simulator;
let receiver: Server;
let hookUrl: string;
const received: Received[] = [];

async function evaluate(): Promise<number> {
  const { rows } = await db.query<{ sent: number }>("select ploomes_sync.evaluate_alerts() as sent");
  return rows[0]?.sent ?? -1;
}

async function incidents() {
  const { rows } = await db.query<{
    problem: string;
    resolved: boolean;
    open_request_id: string | null;
    resolve_request_id: string | null;
  }>(
    "select problem, resolved_at is not null as resolved, open_request_id::text, resolve_request_id::text from ploomes_sync.incidents order by id",
  );
  return rows;
}

/** Waits until pg_net has answered `requestId` and has nothing else queued: every message is in. */
async function deliveredAll(requestId: string | null): Promise<void> {
  await waitFor(`pg_net's answer to request ${requestId}`, DELIVERY_TIMEOUT_MS, async () => {
    const { rows } = await db.query<{ done: boolean }>(
      `select exists (select 1 from net._http_response where id = $1)
              and not exists (select 1 from net.http_request_queue) as done`,
      [requestId],
    );
    return rows[0]?.done ? true : undefined;
  });
}

beforeAll(async () => {
  db = await connectDb();
  sim = await startTestSimulator({ seed: 41, contacts: 30, products: 10, deals: 120 });
  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    request.on("end", () => {
      if (request.url === HOOK_PATH) received.push({ headers: request.headers, body });
      response.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${HOOK_PATH}`;
  await resetSyncState(db);
  await setVaultSecret(db, "alert_webhook_url", hookUrl);
});

afterAll(async () => {
  await setVaultSecret(db, "alert_webhook_url", null);
  await resetSyncState(db);
  restoreFunctionEnv();
  await sim.stop();
  await new Promise((resolve) => receiver.close(resolve));
  await db.end();
});

it("two failed runs in a row: one alert; a later success: one recovery message; nothing twice", async () => {
  const wrongKey = "a-user-key-this-account-does-not-know";
  configureFunction(sim, { PLOOMES_API_KEY: wrongKey });

  expect((await callFunction({ trigger: "manual" })).status).toBe(502);
  expect(await evaluate()).toBe(0); // one failure is not an incident yet
  expect((await callFunction({ trigger: "manual" })).status).toBe(502);

  expect(await evaluate()).toBe(1);
  expect(await evaluate()).toBe(0);
  const opened = await incidents();
  expect(opened.map((i) => [i.problem, i.resolved])).toEqual([["failing", false]]);
  await deliveredAll(opened[0]?.open_request_id ?? null);
  expect(received).toHaveLength(1);

  const alert = received[0];
  expect(alert?.headers["content-type"]).toBe("application/json");
  const payload = JSON.parse(alert?.body ?? "{}") as Record<string, unknown>;
  expect(Object.keys(payload)).toEqual(["text"]);
  const text = String(payload.text);
  expect(text).toMatch(/^\[sync-customer-sales 127\.0\.0\.1\] 2 sync runs failed in a row, the last at \S+\. /);
  expect(text).toMatch(/Last error: Ploomes GET \/Deals\?.* → 401/);
  expect(text).toContain("Fix: ");
  expect(text).toContain("PLOOMES_API_KEY");

  configureFunction(sim);
  const calls = await passToEnd({ trigger: "manual" }, 5);
  expect(calls.at(-1)?.body["status"]).toBe("succeeded");

  expect(await evaluate()).toBe(1);
  expect(await evaluate()).toBe(0);
  const resolved = await incidents();
  expect(resolved.map((i) => [i.problem, i.resolved])).toEqual([["failing", true]]);
  await deliveredAll(resolved[0]?.resolve_request_id ?? null);
  expect(received).toHaveLength(2);
  const recovery = String((JSON.parse(received[1]?.body ?? "{}") as Record<string, unknown>).text);
  expect(recovery).toMatch(
    /^\[sync-customer-sales 127\.0\.0\.1\] resolved: 2 sync runs failed in a row, the last at \S+ \(open since \S+\)\. Last success: \S+\.$/,
  );

  // No secret in either message: not the cron secret, not the Ploomes keys, not the webhook's own URL.
  for (const message of received) {
    expect(message.body).not.toContain(requireStackKeys().CRON_SECRET);
    expect(message.body).not.toContain(sim.apiKey);
    expect(message.body).not.toContain(wrongKey);
    expect(message.body).not.toContain("not-a-real-webhook-token");
  }
});
