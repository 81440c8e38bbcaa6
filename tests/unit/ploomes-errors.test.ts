import { describe, expect, it } from "vitest";
import { describeSuccessBody, summarizeErrorBody } from "../../supabase/functions/_shared/ploomes/error-body.ts";
import { PloomesHttpError, PloomesInvalidResponseError } from "../../supabase/functions/_shared/ploomes/errors.ts";
import { displayUrl, redactSecret, redactUrl } from "../../supabase/functions/_shared/ploomes/redact.ts";
import { hintForStatus } from "../../supabase/functions/_shared/ploomes/status-hints.ts";

describe("summarizeErrorBody", () => {
  it("reads the known JSON shapes in order", () => {
    expect(summarizeErrorBody('{"error":{"code":"","message":"odata says no"}}').text).toBe("odata says no");
    expect(summarizeErrorBody('{"Message":"asp.net says no"}').text).toBe("asp.net says no");
    expect(summarizeErrorBody('{"value":"ploomes says no"}').text).toBe("ploomes says no");
    expect(summarizeErrorBody('{"other":1}').text).toBe('{"other":1}');
  });

  it("handles empty, plain text and HTML bodies", () => {
    expect(summarizeErrorBody("  ")).toEqual({ text: "(empty body)", isHtml: false });
    expect(summarizeErrorBody("Your request has been forbidden")).toEqual({
      text: "Your request has been forbidden",
      isHtml: false,
    });
    expect(summarizeErrorBody("<html><body><h1>Forbidden</h1>\n<p>go away</p></body></html>")).toEqual({
      text: "HTML page: Forbidden go away",
      isHtml: true,
    });
  });

  it("keeps the summary short", () => {
    expect(summarizeErrorBody("x".repeat(5000)).text).toHaveLength(200);
  });
});

describe("hints", () => {
  it("points at the likely culprit per status", () => {
    expect(hintForStatus(401, false)).toContain("PLOOMES_API_KEY");
    expect(hintForStatus(403, false)).toContain("unknown field name");
    expect(hintForStatus(403, true)).toContain("HTML");
    expect(hintForStatus(404, false)).toContain("PLOOMES_BASE_URL");
    expect(hintForStatus(400, false)).toContain("OData");
    expect(hintForStatus(429, false)).toContain("120");
    expect(hintForStatus(502, false)).toContain("retry later");
  });

  it("a 3xx says redirects are not followed and points at PLOOMES_BASE_URL", () => {
    for (const status of [300, 301, 302, 303, 307, 308, 399]) {
      expect(hintForStatus(status, false)).toContain("redirects are not followed");
      expect(hintForStatus(status, false)).toContain("PLOOMES_BASE_URL");
    }
    expect(hintForStatus(400, false)).not.toContain("redirect");
    expect(hintForStatus(299, false)).not.toContain("redirect");
  });
});

describe("describeSuccessBody: a 2xx body described, never quoted", () => {
  it("empty or blank → (empty)", () => {
    expect(describeSuccessBody("")).toBe("(empty)");
    expect(describeSuccessBody(" \n\t ")).toBe("(empty)");
  });

  it("JSON or text → its length and first non-blank character only", () => {
    const body = '{"value":[{"ContactName":"Maria Aparecida","CPF":"123.456.789-09"}';
    expect(describeSuccessBody(body)).toBe(`${body.length} characters starting with "{"`);
    expect(describeSuccessBody("  [1,2]")).toBe('7 characters starting with "["');
    expect(describeSuccessBody("Maria")).toBe('5 characters starting with "M"');
  });

  it("HTML → the page's title", () => {
    const html = "<html><head><title>Gateway error</title></head><body>Maria Aparecida 123.456.789-09</body></html>";
    expect(describeSuccessBody(html)).toBe("HTML page: Gateway error");
  });

  // A body is an HTML page only when it starts like one: JSON that merely contains "<html" is
  // described as JSON, and a page without a <title> is not quoted either.
  it('a truncated Deals JSON body that contains "<html>" is not quoted', () => {
    const body = '{"value":[{"Id":1,"ContactName":"Maria <html> Silva","CPF":"123.456.789-09"}';
    const described = describeSuccessBody(body);
    expect(described).not.toContain("Maria");
    expect(described).not.toContain("123.456.789-09");
  });

  it("an HTML 2xx page without a <title> is described, not quoted", () => {
    expect(describeSuccessBody("<html><body>Maria Aparecida 123.456.789-09</body></html>")).toBe(
      "an HTML page without a title",
    );
  });

  it("PloomesInvalidResponseError: `<status> but <reason>; body: <description>`, without the body", () => {
    const body = '{"value":[{"ContactName":"Maria Aparecida"';
    const error = new PloomesInvalidResponseError(200, "the body is not valid JSON", body, {
      method: "GET",
      url: "https://x/Deals",
    });
    expect(error.message).toBe(
      `Ploomes GET https://x/Deals → 200 but the body is not valid JSON; body: ${body.length} characters starting with "{"; hint: ${error.hint}`,
    );
    expect(error.message).not.toContain("Maria");
    expect(error).not.toHaveProperty("bodySnippet");
    expect(error.status).toBe(200);
  });
});

describe("HTTP error message", () => {
  it("has the documented shape", () => {
    const error = new PloomesHttpError(403, "Your request has been forbidden", {
      method: "GET",
      url: "https://public-api2.ploomes.com/Deals?$filter=Id%20gt%201",
      displayUrl: "/Deals?$filter=Id gt 1",
    });
    expect(error.message).toBe(
      `Ploomes GET /Deals?$filter=Id gt 1 → 403: Your request has been forbidden; hint: ${hintForStatus(403, false)}`,
    );
    expect(error.kind).toBe("http");
  });
});

describe("redaction", () => {
  it("removes credentials from URLs and secrets from text", () => {
    expect(redactUrl("https://u:p@host/Deals?$top=1&User-Key=ABC&api_token=x&$skip=2")).toBe(
      "https://host/Deals?$top=1&User-Key=[redacted]&api_token=[redacted]&$skip=2",
    );
    expect(redactSecret("key ABC and ABC", "ABC")).toBe("key [redacted] and [redacted]");
    expect(redactSecret("unchanged", "")).toBe("unchanged");
  });

  it("shows a readable path under the base URL and the full URL elsewhere", () => {
    const base = "https://public-api2.ploomes.com";
    expect(displayUrl(`${base}/Deals?$filter=LastUpdateDate%20ge%202024-01-01T00:00:00%2B02:00`, base)).toBe(
      "/Deals?$filter=LastUpdateDate ge 2024-01-01T00:00:00%2B02:00",
    );
    expect(displayUrl("https://public6-api2.ploomes.com/Deals?$skip=300", base)).toBe(
      "https://public6-api2.ploomes.com/Deals?$skip=300",
    );
  });
});
