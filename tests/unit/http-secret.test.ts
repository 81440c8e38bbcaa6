import { describe, expect, it } from "vitest";
import { presentedSecret, secretsMatch } from "../../supabase/functions/_shared/http/secret.ts";

const SECRET = "cron-secret-0123456789abcdef0123456789";

describe("secretsMatch", () => {
  it("accepts the exact secret", async () => {
    expect(await secretsMatch(SECRET, SECRET)).toBe(true);
  });

  it("rejects a secret of a different length (prefix, extension)", async () => {
    expect(await secretsMatch(SECRET.slice(0, -1), SECRET)).toBe(false);
    expect(await secretsMatch(`${SECRET}x`, SECRET)).toBe(false);
  });

  it("rejects a secret differing in one character (first, middle, last)", async () => {
    expect(await secretsMatch(`X${SECRET.slice(1)}`, SECRET)).toBe(false);
    expect(await secretsMatch(`${SECRET.slice(0, 10)}X${SECRET.slice(11)}`, SECRET)).toBe(false);
    expect(await secretsMatch(`${SECRET.slice(0, -1)}X`, SECRET)).toBe(false);
  });

  it("is case-sensitive", async () => {
    expect(await secretsMatch(SECRET.toUpperCase(), SECRET)).toBe(false);
  });

  it("rejects an empty presented secret", async () => {
    expect(await secretsMatch("", SECRET)).toBe(false);
  });

  it("compares non-ASCII text exactly", async () => {
    expect(await secretsMatch("sénha-ção-🔑", "sénha-ção-🔑")).toBe(true);
    expect(await secretsMatch("senha-cao-🔑", "sénha-ção-🔑")).toBe(false);
  });
});

describe("presentedSecret", () => {
  it("reads x-cron-secret", () => {
    expect(presentedSecret(new Headers({ "x-cron-secret": SECRET }))).toBe(SECRET);
  });

  it("reads Authorization: Bearer", () => {
    expect(presentedSecret(new Headers({ authorization: `Bearer ${SECRET}` }))).toBe(SECRET);
  });

  it("prefers x-cron-secret over Authorization", () => {
    expect(presentedSecret(new Headers({ "x-cron-secret": "from-header", authorization: "Bearer from-bearer" }))).toBe(
      "from-header",
    );
  });

  it("falls back to Authorization when x-cron-secret is empty", () => {
    expect(presentedSecret(new Headers({ "x-cron-secret": "", authorization: "Bearer from-bearer" }))).toBe(
      "from-bearer",
    );
  });

  it("accepts the Bearer scheme in any case, with extra spaces", () => {
    expect(presentedSecret(new Headers({ authorization: "bearer abc" }))).toBe("abc");
    expect(presentedSecret(new Headers({ authorization: "BEARER abc" }))).toBe("abc");
    expect(presentedSecret(new Headers({ authorization: "Bearer    abc   " }))).toBe("abc");
  });

  it("returns null when nothing usable is presented", () => {
    expect(presentedSecret(new Headers())).toBeNull();
    expect(presentedSecret(new Headers({ authorization: "Basic YWxhZGRpbjpvcGVuc2VzYW1l" }))).toBeNull();
    expect(presentedSecret(new Headers({ authorization: "Bearer" }))).toBeNull();
    expect(presentedSecret(new Headers({ authorization: "Bearer    " }))).toBeNull();
    expect(presentedSecret(new Headers({ authorization: SECRET }))).toBeNull();
  });
});
