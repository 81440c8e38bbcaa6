// The Ploomes client sends the User-Key only to PLOOMES_BASE_URL's origin: getAbsolute refuses any
// other origin without a request, and a 3xx answer is never followed — it becomes a final error
// that names only the redirect target's origin.
import { describe, expect, it } from "vitest";
import { createPloomesClient } from "../../supabase/functions/_shared/ploomes/client.ts";
import { PloomesHttpError } from "../../supabase/functions/_shared/ploomes/errors.ts";
import { hintForStatus } from "../../supabase/functions/_shared/ploomes/status-hints.ts";
import { json, text } from "./ploomes-fakes.ts";
import { BASE, failure, KEY, PATH, setup } from "./ploomes-client-setup.ts";

describe("Ploomes client: origin", () => {
  it("exposes the origin of PLOOMES_BASE_URL (path and trailing slash dropped, port kept)", () => {
    const fetch = async (): Promise<Response> => {
      throw new Error("no request expected");
    };
    const options = { apiKey: KEY, requestsPerMinute: 90, requestTimeoutMs: 30_000, fetch };
    expect(createPloomesClient({ ...options, baseUrl: BASE }).origin).toBe("https://public-api2.ploomes.com");
    expect(createPloomesClient({ ...options, baseUrl: "https://public-api2.ploomes.com/" }).origin).toBe(
      "https://public-api2.ploomes.com",
    );
    expect(createPloomesClient({ ...options, baseUrl: "http://127.0.0.1:54340/api/" }).origin).toBe(
      "http://127.0.0.1:54340",
    );
  });

  it.each([
    ["another host", "https://public6-api2.ploomes.com/Deals?$skip=300", "https://public6-api2.ploomes.com"],
    [
      "a subdomain look-alike",
      "https://public-api2.ploomes.com.evil.example/Deals",
      "https://public-api2.ploomes.com.evil.example",
    ],
    ["another port", "https://public-api2.ploomes.com:8443/Deals", "https://public-api2.ploomes.com:8443"],
    ["plain http on the same host", "http://public-api2.ploomes.com/Deals", "http://public-api2.ploomes.com"],
  ])("getAbsolute refuses %s without sending anything", async (_label, url, origin) => {
    const { client, requests, deadline } = setup([json({ value: [] })]);
    const error = await failure(client.getAbsolute(url, { deadlineMs: deadline }));
    expect(requests).toHaveLength(0);
    expect(error.kind).toBe("invalid-response");
    expect(error.name).toBe("PloomesForeignUrlError");
    expect(error.message).toContain(`refused to request ${origin}: it is not PLOOMES_BASE_URL's origin ${BASE}`);
    expect(error.message).not.toContain("200");
    expect(client.stats().requests).toBe(0);
  });

  it("getAbsolute accepts the base origin written with its default port or another case", async () => {
    const { client, requests, deadline } = setup([json({ value: [{ Id: 1 }] })]);
    const page = await client.getAbsolute("https://public-api2.ploomes.com:443/Deals?$skip=1", {
      deadlineMs: deadline,
    });
    await client.getAbsolute("HTTPS://Public-API2.Ploomes.com/Deals?$skip=2", { deadlineMs: deadline });
    expect(page.value).toEqual([{ Id: 1 }]);
    expect(requests).toHaveLength(2);
    expect(new URL(requests[1]?.url ?? "").origin).toBe(BASE);
    expect(new URL(requests[0]?.url ?? "").origin).toBe(BASE);
    expect(requests[0]?.headers.get("User-Key")).toBe(KEY);
  });
});

describe("Ploomes client: redirects are not followed", () => {
  it("302 → a final PloomesHttpError naming only the target's origin, after one request", async () => {
    const location = "https://login.evil.example:8443/capture?next=/Deals&token=abc123";
    const { client, requests, clock, deadline } = setup([text("Found", 302, { Location: location })], {
      maxRetries: 3,
    });
    const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    expect(requests).toHaveLength(1);
    expect(requests[0]?.redirect).toBe("manual");
    expect(clock.sleeps).toEqual([]);
    expect(error).toBeInstanceOf(PloomesHttpError);
    if (!(error instanceof PloomesHttpError)) return;
    expect(error.status).toBe(302);
    expect(error.attempts).toBe(1);
    expect(error.message).toContain("→ 302: a redirect to https://login.evil.example:8443; hint: ");
    for (const part of ["/capture", "token", "abc123", "next="]) expect(error.message).not.toContain(part);
    expect(error.hint).toBe(hintForStatus(302, false));
    expect(error.hint).toContain("redirects are not followed");
    expect(error.hint).toContain("PLOOMES_BASE_URL");
  });

  it.each([301, 303, 307, 308])("%i is final too (no retry)", async (status) => {
    const { client, requests, deadline } = setup([text("", status, { Location: "https://elsewhere.example/Deals" })]);
    const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    expect(requests).toHaveLength(1);
    expect(error.message).toContain(`→ ${status}: a redirect to https://elsewhere.example;`);
  });

  it("a relative Location is resolved against the request URL", async () => {
    const { client, deadline } = setup([text("", 301, { Location: "/v2/Deals?x=1" })]);
    const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    expect(error.message).toContain(`→ 301: a redirect to ${BASE};`);
    expect(error.message).not.toContain("/v2/");
  });

  it("a redirect without a Location says so", async () => {
    const { client, requests, deadline } = setup([text("", 302)]);
    const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    expect(requests).toHaveLength(1);
    expect(error.message).toContain("→ 302: a redirect without a usable Location;");
  });

  it("the redirect's body never reaches the error", async () => {
    const { client, deadline } = setup([
      text('{"value":[{"ContactName":"Maria Aparecida"}]}', 307, { Location: `${BASE}/x` }),
    ]);
    const error = await failure(client.getPage(PATH, { deadlineMs: deadline }));
    if (!(error instanceof PloomesHttpError)) throw error;
    expect(error.message).not.toContain("Maria");
    expect(error.bodySnippet).not.toContain("Maria");
  });

  it("a redirect during a getAbsolute on the base origin is final as well", async () => {
    const { client, requests, deadline } = setup([text("", 302, { Location: "https://evil.example/" })]);
    const error = await failure(client.getAbsolute(`${BASE}/Deals?$skip=300`, { deadlineMs: deadline }));
    expect(requests).toHaveLength(1);
    expect(requests[0]?.redirect).toBe("manual");
    expect(error.message).toContain("a redirect to https://evil.example;");
  });
});
