// The Ploomes client: requests, retries, fail-fast errors with hints, invalid responses, and the
// key never leaking. Origins and redirects are in ploomes-client-origin.test.ts.
import { describe, expect, it } from "vitest";
import { BudgetExceededError, PloomesHttpError } from "../../supabase/functions/_shared/ploomes/errors.ts";
import { createFakeClock, createManualTimers, hang, json, networkError, text } from "./ploomes-fakes.ts";
import { BASE, failure, KEY, PATH, setup } from "./ploomes-client-setup.ts";

describe("Ploomes client: requests", () => {
  it("sends User-Key and Accept to <baseUrl><path> and returns value and nextLink", async () => {
    const { client, requests, deadline } = setup([
      json({
        "@odata.context": "x",
        value: [{ Id: 1 }],
        "@odata.nextLink": "https://public6-api2.ploomes.com/Deals?$skip=300",
      }),
    ]);
    const page = await client.getPage(PATH, { deadlineMs: deadline });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe(`${BASE}${PATH}`);
    expect(requests[0]?.method).toBe("GET");
    expect(requests[0]?.headers.get("User-Key")).toBe(KEY);
    expect(requests[0]?.headers.get("Accept")).toBe("application/json");
    // Never follow a redirect: it would carry the User-Key along.
    expect(requests[0]?.redirect).toBe("manual");
    expect(page.value).toEqual([{ Id: 1 }]);
    expect(page.nextLink).toBe("https://public6-api2.ploomes.com/Deals?$skip=300");
    expect(page.url).toBe(`${BASE}${PATH}`);
  });

  it("getAbsolute requests a URL on the base origin verbatim", async () => {
    const link = `${BASE}/Deals?$top=300&$skip=300`;
    const { client, requests, deadline } = setup([json({ value: [] })]);
    await client.getAbsolute(link, { deadlineMs: deadline });
    expect(requests[0]?.url).toBe(link);
    expect(requests[0]?.headers.get("User-Key")).toBe(KEY);
    expect(requests[0]?.redirect).toBe("manual");
  });

  it("refuses to send the key over plain http when the base is https", async () => {
    const { client, requests, deadline } = setup([json({ value: [] })]);
    const error = await failure(client.getAbsolute("http://evil.example/Deals", { deadlineMs: deadline }));
    expect(error.kind).toBe("invalid-response");
    expect(requests).toHaveLength(0);
    // Same host, plain http: a downgrade is another origin too.
    const downgrade = await failure(
      client.getAbsolute("http://public-api2.ploomes.com/Deals", { deadlineMs: deadline }),
    );
    expect(downgrade.kind).toBe("invalid-response");
    expect(requests).toHaveLength(0);
  });

  it("rejects a path that does not start with /", async () => {
    const { client, deadline } = setup([json({ value: [] })]);
    await expect(client.getPage("Deals", { deadlineMs: deadline })).rejects.toThrow(/starting with "\/"/);
  });
});

describe("Ploomes client: retries", () => {
  it("retries 429, 503 and a network error, then succeeds; backoff uses equal jitter", async () => {
    const { client, clock, requests, deadline } = setup([
      text("slow down", 429),
      text("unavailable", 503),
      networkError("fetch failed"),
      json({ value: [{ Id: 7 }] }),
    ]);
    const page = await client.getPage(PATH, { deadlineMs: deadline });
    expect(page.value).toEqual([{ Id: 7 }]);
    expect(requests).toHaveLength(4);
    // base 1000 ms doubling; equal jitter with random 0.5 → step/2 + step/4.
    expect(clock.sleeps).toEqual([1000 / 2 + 1000 / 4, 2000 / 2 + 2000 / 4, 4000 / 2 + 4000 / 4]);
    expect(client.stats()).toMatchObject({ requests: 4, retries: 3, status429: 1, networkErrors: 1 });
  });

  it("honours Retry-After in seconds through the injected sleep", async () => {
    const { client, clock, deadline } = setup([text("", 429, { "Retry-After": "7" }), json({ value: [] })]);
    await client.getPage(PATH, { deadlineMs: deadline });
    expect(clock.sleeps).toEqual([7000]);
  });

  it("honours Retry-After as an HTTP date", async () => {
    const clock0 = createFakeClock();
    const when = new Date(clock0.now() + 12_000).toUTCString();
    const { client, clock, deadline } = setup([text("", 503, { "Retry-After": when }), json({ value: [] })]);
    await client.getPage(PATH, { deadlineMs: deadline });
    expect(clock.sleeps).toEqual([12_000]);
  });

  it("gives up after maxRetries with the last error and its hint", async () => {
    const { client, requests, deadline } = setup([text("busy", 429)], { maxRetries: 2 });
    const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    expect(requests).toHaveLength(3);
    expect(error).toBeInstanceOf(PloomesHttpError);
    expect(error.kind).toBe("http");
    expect(error.attempts).toBe(3);
    expect(error.message).toContain("→ 429");
    expect(error.message).toContain("PLOOMES_REQUESTS_PER_MINUTE");
    expect(client.stats().status429).toBe(3);
  });

  it("stops with a budget error instead of sleeping past the deadline", async () => {
    const { client, clock, requests } = setup([text("", 503, { "Retry-After": "30" }), json({ value: [] })]);
    const error = await failure(client.getPage(PATH, { deadlineMs: clock.now() + 10_000 }));
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.kind).toBe("budget");
    expect(error.cause).toBeInstanceOf(PloomesHttpError);
    expect(requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("a rate-limit wait past the deadline is one budget error that names the request", async () => {
    const { client, clock, requests } = setup([json({ value: [] })], { requestsPerMinute: 60, burstCapacity: 1 });
    await client.getPage(PATH, { deadlineMs: clock.now() + 10_000 });
    const error = await failure(client.getPage(PATH, { deadlineMs: clock.now() + 500 }));
    expect(error).toBeInstanceOf(BudgetExceededError);
    if (!(error instanceof BudgetExceededError)) return;
    expect(error.message).toMatch(
      /^Ploomes GET \/Deals\?\$filter=Id gt 5&\$orderby=Id&\$top=300 → time budget reached: the request rate limit \(60\/min\) needs a 1000 ms wait, but the deadline is in 500 ms; hint: /,
    );
    expect(error.wantedWaitMs).toBe(1_000);
    expect(error.cause).toBeUndefined();
    expect(requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("times out a hanging request, retries, then reports a timeout error", async () => {
    const timers = createManualTimers();
    const { client, requests, deadline } = setup([hang(timers)], {
      maxRetries: 1,
      scheduleTimeout: timers.schedule,
      requestTimeoutMs: 5_000,
    });
    const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    expect(error.kind).toBe("timeout");
    expect(error.message).toContain("5000 ms");
    expect(requests).toHaveLength(2);
    expect(timers.scheduledMs).toEqual([5_000, 5_000]);
    expect(client.stats().timeouts).toBe(2);
    expect(timers.pending()).toBe(0);
  });

  it("caps the request timeout at the deadline and reports that as a budget stop", async () => {
    const timers = createManualTimers();
    const { client, clock } = setup([hang(timers)], { scheduleTimeout: timers.schedule, requestTimeoutMs: 30_000 });
    const error = await failure(client.getPage(PATH, { deadlineMs: clock.now() + 2_000 }));
    expect(error.kind).toBe("budget");
    expect(timers.scheduledMs).toEqual([2_000]);
  });

  it("does not retry when the caller aborts", async () => {
    const controller = new AbortController();
    const { client, requests, deadline } = setup([
      async () => {
        controller.abort(new Error("runner stopped"));
        throw new DOMException("aborted", "AbortError");
      },
    ]);
    await expect(client.getPage(PATH, { deadlineMs: deadline, signal: controller.signal })).rejects.toThrow(
      "runner stopped",
    );
    expect(requests).toHaveLength(1);
  });

  it("takes a token before every attempt and counts throttled waits", async () => {
    const { client, clock, deadline } = setup([text("", 500), json({ value: [] })], {
      requestsPerMinute: 60,
      burstCapacity: 1,
      backoffBaseMs: 200,
    });
    await client.getPage(PATH, { deadlineMs: deadline });
    // Retry 1 waits 200/2 + 200/4 = 150 ms of backoff, then 1000 − 150 ms for the next token (60/min).
    expect(clock.sleeps).toEqual([150, 850]);
    expect(client.stats()).toMatchObject({ requests: 2, retries: 1, throttledWaits: 1, throttleWaitMs: 850 });
  });
});

describe("Ploomes client: fail fast with hints", () => {
  const cases: [number, RegExp][] = [
    [401, /PLOOMES_API_KEY/],
    [403, /403 both for a User-Key without access and for an unknown field name/],
    [404, /PLOOMES_BASE_URL/],
    [400, /malformed OData query/],
  ];
  for (const [status, hint] of cases) {
    it(`${status} → one request, hint, body snippet ≤ 500 chars`, async () => {
      const body = JSON.stringify({
        error: { code: "", message: `status ${status} from server` },
        padding: "x".repeat(2000),
      });
      const { client, requests, deadline } = setup([text(body, status)]);
      const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
      expect(requests).toHaveLength(1);
      expect(error).toBeInstanceOf(PloomesHttpError);
      if (!(error instanceof PloomesHttpError)) return;
      expect(error.status).toBe(status);
      expect(error.hint).toMatch(hint);
      expect(error.bodySnippet).toBe(body.slice(0, 500));
      expect(error.message).toContain(
        `Ploomes GET /Deals?$filter=Id gt 5&$orderby=Id&$top=300 → ${status}: status ${status} from server; hint: `,
      );
    });
  }

  it("403 with an HTML body says the body is HTML", async () => {
    const html =
      `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"><html><head><title>403 - Forbidden: Access is denied.</title></head><body>${
        "<p>x</p>".repeat(200)
      }</body></html>`;
    const { client, deadline } = setup([text(html, 403, { "content-type": "text/html" })]);
    const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    if (!(error instanceof PloomesHttpError)) throw error;
    expect(error.isHtml).toBe(true);
    expect(error.message).toContain("403: HTML page: 403 - Forbidden: Access is denied.");
    expect(error.hint).toContain("HTML");
    expect(error.bodySnippet.length).toBe(500);
  });

  it("reads the plain-text Ploomes 403 body", async () => {
    const { client, deadline } = setup([text("Your request has been forbidden", 403)]);
    const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    expect(error.message).toContain("→ 403: Your request has been forbidden; hint: Ploomes answers 403");
  });
});

describe("Ploomes client: invalid responses", () => {
  it("truncated JSON is retried, then reported as invalid-response without quoting the body", async () => {
    const truncated =
      '{"@odata.context":"x","value":[{"Id":1,"ContactName":"Maria Aparecida","CPF":"123.456.789-09"},{"Id"';
    const { client, requests, deadline } = setup([text(truncated, 200)], { maxRetries: 1 });
    const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    expect(error.kind).toBe("invalid-response");
    expect(requests).toHaveLength(2);
    expect(error.message).toContain("not valid JSON");
    // Its length and first character describe it; the customer data in it stays out.
    expect(error.message).toContain(`body: ${truncated.length} characters starting with "{"`);
    for (const content of ["Maria Aparecida", "123.456.789-09", "@odata.context", '"Id":1']) {
      expect(error.message).not.toContain(content);
    }
    expect(error).not.toHaveProperty("bodySnippet");
  });

  it("JSON without a value array fails at once, described without its content", async () => {
    const body = { Message: "Cliente Joana Prado" };
    const { client, requests, deadline } = setup([json(body)]);
    const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    expect(error.kind).toBe("invalid-response");
    expect(error.message).toContain('no "value" array');
    expect(error.message).toContain(`body: ${JSON.stringify(body).length} characters starting with "{"`);
    expect(error.message).not.toContain("Joana");
    expect(requests).toHaveLength(1);
  });

  it("an empty 200 body is retried, then reported as (empty)", async () => {
    const { client, requests, deadline } = setup([text("", 200)], { maxRetries: 1 });
    const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    expect(error.kind).toBe("invalid-response");
    expect(requests).toHaveLength(2);
    expect(error.message).toContain("an empty body; body: (empty)");
  });

  it("an HTML 200 page (a proxy's) shows its title, not its content", async () => {
    const html =
      "<!DOCTYPE html><html><head><title>Portal login</title></head><body><p>Maria Aparecida, CPF 123.456.789-09</p></body></html>";
    const { client, deadline } = setup([text(html, 200, { "content-type": "text/html" })], { maxRetries: 0 });
    const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    expect(error.kind).toBe("invalid-response");
    expect(error.message).toContain("body: HTML page: Portal login");
    expect(error.message).not.toContain("Maria");
    expect(error.message).not.toContain("123.456.789-09");
  });
});

describe("Ploomes client: the key never leaks", () => {
  it("scrubs the key from echoed bodies, network errors and nextLink URLs", async () => {
    const { client, deadline } = setup([text(`{"Message":"bad key ${KEY}"}`, 401)]);
    const http = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    if (!(http instanceof PloomesHttpError)) throw http;
    expect(http.message).not.toContain(KEY);
    expect(http.bodySnippet).not.toContain(KEY);
    expect(http.message).toContain("[redacted]");

    const second = setup([networkError(`connect failed for key ${KEY}`)], { maxRetries: 0 });
    const network = await failure(second.client.getPage(PATH, { deadlineMs: second.deadline }));
    expect(network.kind).toBe("network");
    expect(network.message).not.toContain(KEY);

    const third = setup([text("nope", 404)]);
    const link = `${BASE}/Deals?$skip=300&User-Key=${KEY}`;
    const notFound = await failure(third.client.getAbsolute(link, { deadlineMs: third.deadline }));
    expect(third.requests).toHaveLength(1);
    expect(notFound.message).not.toContain(KEY);
    expect(notFound.url).not.toContain(KEY);
    expect(notFound.message).toContain("GET /Deals?$skip=300&User-Key=[redacted] → 404");

    // A refused link on another origin is reported key-free as well.
    const fourth = setup([json({ value: [] })]);
    const foreign = `https://public6-api2.ploomes.com/Deals?$skip=300&User-Key=${KEY}`;
    const refused = await failure(fourth.client.getAbsolute(foreign, { deadlineMs: fourth.deadline }));
    expect(fourth.requests).toHaveLength(0);
    expect(refused.message).not.toContain(KEY);
    expect(refused.url).not.toContain(KEY);
  });
});
