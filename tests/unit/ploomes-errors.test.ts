import { describe, expect, it } from "vitest";
import {
  displayUrl,
  hintForStatus,
  PloomesHttpError,
  redactSecret,
  redactUrl,
  summarizeErrorBody,
} from "../../supabase/functions/_shared/ploomes/errors.ts";

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
});

describe("HTTP error message", () => {
  it("has the documented shape", () => {
    const error = new PloomesHttpError(403, "Your request has been forbidden", false, {
      method: "GET",
      url: "https://public-api2.ploomes.com/Deals?$filter=Id%20gt%201",
      displayUrl: "/Deals?$filter=Id gt 1",
    });
    expect(error.message).toBe(
      `Ploomes GET /Deals?$filter=Id gt 1 → 403: Your request has been forbidden; hint: ${hintForStatus(403, false)}`,
    );
    expect(error.kind).toBe("http");
    expect(error.retryable).toBe(false);
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
