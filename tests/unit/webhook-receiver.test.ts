import { describe, expect, it } from "vitest";
import { parseConfig } from "../../supabase/functions/_shared/config/config.ts";
import type { DatabaseAccess, Env } from "../../supabase/functions/_shared/config/config.ts";
import { DatabaseError } from "../../supabase/functions/_shared/db/rpc.ts";
import { parseWebhookConfig } from "../../supabase/functions/_shared/webhook/config.ts";
import type { WebhookConfigResult } from "../../supabase/functions/_shared/webhook/config.ts";
import { handleWebhook } from "../../supabase/functions/_shared/webhook/receiver.ts";
import type { DealEvent, ReceiverDeps } from "../../supabase/functions/_shared/webhook/receiver.ts";
import { createEnqueue, enqueueWith, type RpcCall } from "../../supabase/functions/_shared/webhook/queue.ts";
import { BASE_ENV, SERVICE_KEY } from "./sync-fakes.ts";

const URL_BASE = "http://localhost:54321/functions/v1/ploomes-webhook";
const KEY = "webhook-key-0123456789abcdef0123456789";
const WRONG_KEY = "wrong-key-0123456789abcdef0123456789ab";
const DATABASE: DatabaseAccess = { url: "https://abcd.supabase.co", secretKey: SERVICE_KEY };
const ENV: Env = { PLOOMES_WEBHOOK_KEY: KEY, SUPABASE_URL: DATABASE.url, SUPABASE_SERVICE_ROLE_KEY: SERVICE_KEY };
const KEY_UNSET_ERROR = "configuration error: 1 configuration problem: PLOOMES_WEBHOOK_KEY is not set; " +
  "generate one with: openssl rand -hex 24, then supabase secrets set PLOOMES_WEBHOOK_KEY=... " +
  "and give Ploomes the same value as the webhook's validation key";
const NO_ID_ERROR = '{"error":"no deal Id: neither New.Id nor Old.Id is a positive integer"}';

interface EnqueueCall {
  readonly database: DatabaseAccess;
  readonly event: DealEvent;
}

function harness(options: { env?: Env; config?: WebhookConfigResult; enqueueError?: Error } = {}) {
  const enqueueCalls: EnqueueCall[] = [];
  const events: Record<string, unknown>[] = [];
  const deps: ReceiverDeps = {
    config: options.config ?? parseWebhookConfig(options.env ?? ENV),
    enqueue: async (database, event) => {
      enqueueCalls.push({ database, event });
      if (options.enqueueError) throw options.enqueueError;
    },
    log: (event) => {
      events.push(event);
    },
  };
  const handle = async (request: Request) => {
    const response = await handleWebhook(request, deps);
    const text = await response.text();
    return { response, text, logged: JSON.stringify(events) };
  };
  return { deps, enqueueCalls, events, handle };
}

function post(body: string | null, headers: Record<string, string> = {}): Request {
  return new Request(URL_BASE, { method: "POST", body, headers });
}

/** A body carrying the key, as Ploomes may send it. */
function signed(payload: Record<string, unknown>, key: string = KEY): Request {
  return post(JSON.stringify({ ...payload, ValidationKey: key }));
}

describe("handleWebhook: 405", () => {
  it.each([["GET"], ["PUT"], ["DELETE"], ["OPTIONS"]])("refuses %s with Allow: POST", async (method) => {
    const { handle, enqueueCalls } = harness();
    const { response, text } = await handle(new Request(URL_BASE, { method }));
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect(text).toBe(`{"error":"method ${method} not allowed; use POST"}`);
    expect(enqueueCalls).toHaveLength(0);
  });

  it("comes before the configuration", async () => {
    const { handle } = harness({ env: {} });
    const { response } = await handle(new Request(URL_BASE, { method: "GET" }));
    expect(response.status).toBe(405);
  });
});

describe("handleWebhook: configuration → 500, failing closed", () => {
  it("names PLOOMES_WEBHOOK_KEY when it is unset, whatever the caller presents, and queues nothing", async () => {
    const { handle, enqueueCalls, events } = harness({ env: { ...ENV, PLOOMES_WEBHOOK_KEY: undefined } });
    for (
      const request of [
        signed({ New: { Id: 1 } }),
        signed({ New: { Id: 1 } }, ""),
        post("{}", { "validation-key": "anything" }),
      ]
    ) {
      const { response, text } = await handle(request);
      expect(response.status).toBe(500);
      expect(text).toBe(JSON.stringify({ error: KEY_UNSET_ERROR }));
    }
    expect(enqueueCalls).toHaveLength(0);
    expect(events[0]).toEqual({
      event: "ploomes-webhook",
      status: 500,
      outcome: "configuration-error",
      variables: ["PLOOMES_WEBHOOK_KEY"],
    });
  });

  it("counts a whitespace-only key as unset", async () => {
    const { handle } = harness({ env: { ...ENV, PLOOMES_WEBHOOK_KEY: "   " } });
    const { response, text } = await handle(signed({ New: { Id: 1 } }, "   "));
    expect(response.status).toBe(500);
    expect(text).toBe(JSON.stringify({ error: KEY_UNSET_ERROR }));
  });

  it("refuses a key shorter than 32 characters, even to a caller presenting it, without echoing it", async () => {
    const weak = "weak-key-31-characters-long-abc";
    expect(weak).toHaveLength(31);
    const { handle, enqueueCalls } = harness({ env: { ...ENV, PLOOMES_WEBHOOK_KEY: weak } });
    const { response, text, logged } = await handle(signed({ New: { Id: 1 } }, weak));
    expect(response.status).toBe(500);
    expect(text).toBe(
      '{"error":"configuration error: 1 configuration problem: PLOOMES_WEBHOOK_KEY must be at least 32 characters ' +
        '(it has 31); generate one with: openssl rand -hex 24"}',
    );
    expect(text).not.toContain(weak);
    expect(logged).not.toContain(weak);
    expect(enqueueCalls).toHaveLength(0);
  });

  it("accepts a key of exactly 32 characters", async () => {
    const key = "k".repeat(32);
    const { handle } = harness({ env: { ...ENV, PLOOMES_WEBHOOK_KEY: key } });
    const { response } = await handle(signed({ New: { Id: 1 } }, key));
    expect(response.status).toBe(200);
  });

  it("names the database variables when they are missing", async () => {
    const { handle, enqueueCalls } = harness({ env: { PLOOMES_WEBHOOK_KEY: KEY } });
    const { response, text } = await handle(signed({ New: { Id: 1 } }));
    expect(response.status).toBe(500);
    expect(text).toMatch(/^\{"error":"configuration error: 2 configuration problems: SUPABASE_URL is not set/);
    expect(text).toContain("neither SUPABASE_SECRET_KEYS nor SUPABASE_SERVICE_ROLE_KEY is set");
    expect(enqueueCalls).toHaveLength(0);
  });

  it("names a PLOOMES_WEBHOOK_DEAL_ENTITY_ID that is not a positive whole number", async () => {
    const { handle } = harness({ env: { ...ENV, PLOOMES_WEBHOOK_DEAL_ENTITY_ID: "deals" } });
    const { response, text } = await handle(signed({ New: { Id: 1 } }));
    expect(response.status).toBe(500);
    expect(text).toBe(
      '{"error":"configuration error: 1 configuration problem: PLOOMES_WEBHOOK_DEAL_ENTITY_ID must be a positive ' +
        'whole number (Ploomes\' entity id for deals), got \\"deals\\""}',
    );
  });

  it("comes before the size, JSON and key checks", async () => {
    const { handle } = harness({ env: {} });
    for (const request of [post("x".repeat(70_000)), post("{nope"), post("{}")]) {
      expect((await handle(request)).response.status).toBe(500);
    }
  });
});

describe("parseWebhookConfig", () => {
  it("reads the key, the default deal entity id and the database access", () => {
    expect(parseWebhookConfig(ENV)).toEqual({ ok: true, config: { key: KEY, dealEntityId: 2, database: DATABASE } });
  });

  it("reads PLOOMES_WEBHOOK_DEAL_ENTITY_ID and SUPABASE_SECRET_KEYS as the sync does", () => {
    const env: Env = {
      PLOOMES_WEBHOOK_KEY: ` ${KEY} `,
      PLOOMES_WEBHOOK_DEAL_ENTITY_ID: "7",
      SUPABASE_URL: "https://abcd.supabase.co/",
      SUPABASE_SECRET_KEYS: '{"default":"sb_secret_abc"}',
    };
    expect(parseWebhookConfig(env)).toEqual({
      ok: true,
      config: { key: KEY, dealEntityId: 7, database: { url: "https://abcd.supabase.co", secretKey: "sb_secret_abc" } },
    });
  });

  it.each([["0"], ["-2"], ["2.5"], ["1e3"]])("refuses PLOOMES_WEBHOOK_DEAL_ENTITY_ID=%s", (value) => {
    const result = parseWebhookConfig({ ...ENV, PLOOMES_WEBHOOK_DEAL_ENTITY_ID: value });
    expect(result.ok ? [] : result.problems.map((problem) => problem.variable)).toEqual([
      "PLOOMES_WEBHOOK_DEAL_ENTITY_ID",
    ]);
  });

  it("leaves the sync's configuration valid: the webhook's variables are not near misses of the sync's", () => {
    const env: Env = { ...BASE_ENV, PLOOMES_WEBHOOK_KEY: KEY, PLOOMES_WEBHOOK_DEAL_ENTITY_ID: "2" };
    expect(parseConfig(env).ok).toBe(true);
  });
});

describe("handleWebhook: 413", () => {
  it("refuses a body over 64 KiB", async () => {
    const { handle, enqueueCalls } = harness();
    const body = JSON.stringify({ ValidationKey: KEY, New: { Id: 1 }, Pad: "x".repeat(64 * 1024) });
    const { response, text } = await handle(post(body));
    expect(response.status).toBe(413);
    expect(text).toBe('{"error":"request body too large; the limit is 65536 bytes"}');
    expect(enqueueCalls).toHaveLength(0);
  });

  it("accepts a body of exactly 64 KiB", async () => {
    const { handle } = harness();
    const payload = JSON.stringify({ ValidationKey: KEY, New: { Id: 1 } });
    const { response } = await handle(post(payload.padEnd(64 * 1024, " ")));
    expect(response.status).toBe(200);
  });

  it("refuses a declared Content-Length over the limit without reading", async () => {
    const { handle } = harness();
    const { response } = await handle(post("{}", { "content-length": "70000" }));
    expect(response.status).toBe(413);
  });

  it("stops reading a streamed body once it passes the limit", async () => {
    const { handle } = harness();
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const init: RequestInit & { duplex: "half" } = { method: "POST", body: stream, duplex: "half" };
    const { response } = await handle(new Request(URL_BASE, init));
    expect(response.status).toBe(413);
    expect(sent).toBeLessThan(10);
  });
});

describe("handleWebhook: 400", () => {
  it.each([
    ["invalid JSON", "{nope", '{"error":"body is not valid JSON"}'],
    ["an empty body", "", '{"error":"body is not valid JSON"}'],
    ["an array", `[{"ValidationKey":"${KEY}"}]`, '{"error":"body is not a JSON object"}'],
    ["a string", '"text"', '{"error":"body is not a JSON object"}'],
    ["null", "null", '{"error":"body is not a JSON object"}'],
  ])("refuses %s", async (_label, body, expected) => {
    const { handle, enqueueCalls } = harness();
    const { response, text } = await handle(post(body, { "validation-key": KEY }));
    expect(response.status).toBe(400);
    expect(text).toBe(expected);
    expect(enqueueCalls).toHaveLength(0);
  });

  it("does not quote the body", async () => {
    const { handle } = harness();
    const { text, logged } = await handle(post('{"Title":"Acme-UNIQUE-TITLE",'));
    expect(text).not.toContain("UNIQUE-TITLE");
    expect(logged).not.toContain("UNIQUE-TITLE");
  });
});

describe("handleWebhook: the validation key", () => {
  it.each([
    ["no key", post(JSON.stringify({ New: { Id: 1 } }))],
    ["a wrong key in the body", signed({ New: { Id: 1 } }, WRONG_KEY)],
    ["a wrong key in the header", post(JSON.stringify({ New: { Id: 1 } }), { "validation-key": WRONG_KEY })],
    ["a prefix of the key", signed({ New: { Id: 1 } }, KEY.slice(0, -1))],
    ["the key with another case", signed({ New: { Id: 1 } }, KEY.toUpperCase())],
    ["the key under another field", post(JSON.stringify({ New: { Id: 1 }, validationKey: KEY }))],
    ["the key as a bearer token", post(JSON.stringify({ New: { Id: 1 } }), { authorization: `Bearer ${KEY}` })],
    ["the key as a number", post(JSON.stringify({ New: { Id: 1 }, ValidationKey: 12345 }))],
  ])("answers exactly 401 {error: unauthorized} for %s, queueing nothing", async (_label, request) => {
    const { handle, enqueueCalls, events } = harness();
    const { response, text, logged } = await handle(request);
    expect(response.status).toBe(401);
    expect(text).toBe('{"error":"unauthorized"}');
    expect(enqueueCalls).toHaveLength(0);
    expect(events).toHaveLength(1);
    expect(logged).not.toContain(KEY);
    expect(logged).not.toContain(WRONG_KEY);
  });

  it("logs where keys were presented, never the keys", async () => {
    const { handle, events } = harness();
    await handle(post(JSON.stringify({ ValidationKey: WRONG_KEY }), { "validation-key": WRONG_KEY }));
    expect(events).toEqual([
      { event: "ploomes-webhook", status: 401, outcome: "unauthorized", presentedIn: ["body", "header"] },
    ]);
  });

  it("accepts the key in the body", async () => {
    const { handle, enqueueCalls, events } = harness();
    const { response } = await handle(signed({ New: { Id: 11 } }));
    expect(response.status).toBe(200);
    expect(enqueueCalls).toHaveLength(1);
    expect(events[0]?.["keyIn"]).toBe("body");
  });

  it("accepts the key in the Validation-Key header", async () => {
    const { handle, enqueueCalls, events } = harness();
    const { response } = await handle(post(JSON.stringify({ New: { Id: 12 } }), { "Validation-Key": KEY }));
    expect(response.status).toBe(200);
    expect(enqueueCalls).toHaveLength(1);
    expect(events[0]?.["keyIn"]).toBe("header");
  });

  it("accepts either place holding the key when the other holds something else", async () => {
    const { handle } = harness();
    const rightHeader = post(JSON.stringify({ New: { Id: 13 }, ValidationKey: WRONG_KEY }), { "validation-key": KEY });
    const rightBody = post(JSON.stringify({ New: { Id: 13 }, ValidationKey: KEY }), { "validation-key": WRONG_KEY });
    expect((await handle(rightHeader)).response.status).toBe(200);
    expect((await handle(rightBody)).response.status).toBe(200);
  });

  it("comes before the payload: another entity or a missing Id with a wrong key is 401", async () => {
    const { handle } = harness();
    expect((await handle(signed({ EntityId: 1, New: { Id: 1 } }, WRONG_KEY))).response.status).toBe(401);
    expect((await handle(signed({ New: {} }, WRONG_KEY))).response.status).toBe(401);
  });
});

describe("handleWebhook: the payload", () => {
  it("acknowledges an event about another entity with 202, queueing nothing", async () => {
    const { handle, enqueueCalls, events } = harness();
    const { response, text } = await handle(signed({ EntityId: 1, New: { Id: 21 } }));
    expect(response.status).toBe(202);
    expect(text).toBe('{"ignored":"not a deal event: EntityId is not 2"}');
    expect(enqueueCalls).toHaveLength(0);
    expect(events).toEqual([{
      event: "ploomes-webhook",
      status: 202,
      outcome: "ignored",
      reason: "not a deal event: EntityId is not 2",
      keyIn: "body",
    }]);
  });

  it("uses PLOOMES_WEBHOOK_DEAL_ENTITY_ID", async () => {
    const { handle, enqueueCalls } = harness({ env: { ...ENV, PLOOMES_WEBHOOK_DEAL_ENTITY_ID: "9" } });
    expect((await handle(signed({ EntityId: 2, New: { Id: 22 } }))).text).toBe(
      '{"ignored":"not a deal event: EntityId is not 9"}',
    );
    expect((await handle(signed({ EntityId: 9, New: { Id: 22 } }))).response.status).toBe(200);
    expect(enqueueCalls).toHaveLength(1);
  });

  it.each([
    [{ New: {} }, NO_ID_ERROR],
    [{ New: { Id: "23" } }, NO_ID_ERROR],
    [{ Old: { Id: 0 } }, NO_ID_ERROR],
    [{}, '{"error":"neither New nor Old is present: nothing says which deal changed"}'],
    [{ New: "23" }, '{"error":"New is not an object"}'],
  ])("answers 422 for %j, queueing nothing", async (payload, expected) => {
    const { handle, enqueueCalls } = harness();
    const { response, text } = await handle(signed(payload));
    expect(response.status).toBe(422);
    expect(text).toBe(expected);
    expect(enqueueCalls).toHaveLength(0);
  });

  it.each([
    ["create", { New: { Id: 31 } }, 31],
    ["create", { New: { Id: 31 }, Old: null }, 31],
    ["update", { New: { Id: 32 }, Old: { Id: 32 } }, 32],
    ["update", { New: { Title: "no id" }, Old: { Id: 33 } }, 33],
    ["delete", { Old: { Id: 34 } }, 34],
    ["delete", { Old: { Id: 35 }, New: null, ActionId: 1 }, 35],
  ])("queues %s for %j exactly once and answers 200", async (action, payload, dealId) => {
    const { handle, enqueueCalls, events } = harness();
    const { response, text } = await handle(signed({ EntityId: 2, ...payload }));
    expect(response.status).toBe(200);
    expect(text).toBe(`{"queued":true,"dealId":${dealId},"action":"${action}"}`);
    expect(enqueueCalls).toEqual([{ database: DATABASE, event: { dealId, action } }]);
    expect(events).toEqual([
      { event: "ploomes-webhook", status: 200, outcome: "queued", dealId, action, keyIn: "body" },
    ]);
  });
});

describe("handleWebhook: the queue failing → 503", () => {
  it("answers 503 with the database's error so that Ploomes retries", async () => {
    const rpc: RpcCall = async () => ({
      error: { code: "42883", message: "function public.webhook_enqueue does not exist", hint: "apply migrations" },
    });
    const failure = await enqueueWith(rpc, { dealId: 41, action: "update" }).then(() => null, (error) => error);
    expect(failure).toBeInstanceOf(DatabaseError);
    const { handle, enqueueCalls, events } = harness({ enqueueError: failure });
    const { response, text } = await handle(signed({ New: { Id: 41 }, Old: { Id: 41 } }));
    expect(response.status).toBe(503);
    const error = "could not queue the event: database call webhook_enqueue failed (42883): " +
      "function public.webhook_enqueue does not exist; hint: apply migrations";
    expect(text).toBe(JSON.stringify({ error }));
    expect(enqueueCalls).toHaveLength(1);
    expect(events).toEqual([
      { event: "ploomes-webhook", status: 503, outcome: "enqueue-failed", dealId: 41, action: "update", error },
    ]);
  });

  it("answers 503 when the call throws (the database unreachable)", async () => {
    const { handle } = harness({ enqueueError: new Error("fetch failed") });
    const { response, text } = await handle(signed({ New: { Id: 42 } }));
    expect(response.status).toBe(503);
    expect(text).toBe('{"error":"could not queue the event: fetch failed"}');
  });
});

describe("webhook queue: the RPC", () => {
  it("calls webhook_enqueue once with p_deal_id and p_action", async () => {
    const calls: [string, Readonly<Record<string, unknown>>][] = [];
    const rpc: RpcCall = async (fn, args) => {
      calls.push([fn, args]);
      return { error: null };
    };
    await enqueueWith(rpc, { dealId: 4321, action: "delete" });
    expect(calls).toEqual([["webhook_enqueue", { p_deal_id: 4321, p_action: "delete" }]]);
  });

  it("opens the client once for the worker's events", async () => {
    const opened: DatabaseAccess[] = [];
    const enqueue = createEnqueue((database) => {
      opened.push(database);
      return async () => ({ error: null });
    });
    await enqueue(DATABASE, { dealId: 1, action: "create" });
    await enqueue(DATABASE, { dealId: 2, action: "update" });
    expect(opened).toEqual([DATABASE]);
  });
});

describe("handleWebhook: nothing leaks", () => {
  const MARKERS = ["UNIQUE-TITLE-7731", "UNIQUE-CONTACT-7732", "987654", "UNIQUE-EXTRA-7733"];
  const payload = {
    EntityId: 987654,
    ActionId: 987654,
    New: { Id: 51, Title: MARKERS[0], ContactName: MARKERS[1], Amount: 987654 },
    Old: { Id: 51, Title: MARKERS[3] },
    Extra: MARKERS[3],
  };

  it("never echoes the key or the payload's values, whatever the status", async () => {
    const deal = { ...payload, EntityId: 2 };
    const cases: [number, Request, Error?][] = [
      [401, signed(payload, WRONG_KEY)],
      [202, signed(payload)],
      [422, signed({ ...deal, New: { Title: MARKERS[0] }, Old: { Title: MARKERS[3] } })],
      [200, signed(deal)],
      [200, post(JSON.stringify(deal), { "validation-key": KEY })],
      [503, signed(deal), new Error("fetch failed")],
    ];
    for (const [status, request, enqueueError] of cases) {
      const { handle } = harness(enqueueError ? { enqueueError } : {});
      const { response, text, logged } = await handle(request);
      expect(response.status).toBe(status);
      for (const secret of [KEY, WRONG_KEY, SERVICE_KEY, ...MARKERS]) {
        expect(text).not.toContain(secret);
        expect(logged).not.toContain(secret);
      }
    }
  });

  it("answers JSON for every status", async () => {
    const cases: [number, Request, Env?][] = [
      [405, new Request(URL_BASE, { method: "GET" })],
      [500, signed({ New: { Id: 1 } }), {}],
      [413, post("{}", { "content-length": "70000" })],
      [400, post("{x")],
      [401, post("{}")],
      [202, signed({ EntityId: 1 })],
      [422, signed({})],
      [200, signed({ New: { Id: 1 } })],
    ];
    for (const [status, request, env] of cases) {
      const { response } = await harness(env ? { env } : {}).handle(request);
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toBe("application/json");
    }
  });
});
