// sourceIdentity: `<base URL without trailing slash> key:sha256:<first 16 hex of SHA-256(key)>`.
// The expected fingerprint is computed here with node:crypto, independently of the code under test.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sourceIdentity } from "../../supabase/functions/_shared/sync/source.ts";

const BASE = "https://public-api2.ploomes.com";
const KEY = "A1B2C3D4E5F60718293A4B5C6D7E8F90SECRETKEY";

const fingerprint = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex").slice(0, 16);

describe("sourceIdentity", () => {
  it("is the base URL plus the first 16 hex digits of the key's SHA-256", async () => {
    expect(await sourceIdentity(BASE, KEY)).toBe(`${BASE} key:sha256:${fingerprint(KEY)}`);
    expect(fingerprint(KEY)).toMatch(/^[0-9a-f]{16}$/);
  });

  it("matches a published SHA-256 test vector", async () => {
    // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad (FIPS 180-2).
    expect(await sourceIdentity(BASE, "abc")).toBe(`${BASE} key:sha256:ba7816bf8f01cfea`);
  });

  it("different keys give different identities on the same base URL", async () => {
    const a = await sourceIdentity(BASE, "KEY-OF-ACCOUNT-A");
    const b = await sourceIdentity(BASE, "KEY-OF-ACCOUNT-B");
    expect(a).not.toBe(b);
    expect(a).toBe(`${BASE} key:sha256:${fingerprint("KEY-OF-ACCOUNT-A")}`);
    expect(b).toBe(`${BASE} key:sha256:${fingerprint("KEY-OF-ACCOUNT-B")}`);
  });

  it("different base URLs give different identities for the same key", async () => {
    expect(await sourceIdentity("http://127.0.0.1:54340", KEY)).not.toBe(await sourceIdentity(BASE, KEY));
  });

  it("never contains the key, nor a long piece of it", async () => {
    for (const key of [KEY, "short", "ção-ü-😀-key"]) {
      const identity = await sourceIdentity(BASE, key);
      expect(identity).not.toContain(key);
      expect(identity).toBe(`${BASE} key:sha256:${fingerprint(key)}`);
    }
    const identity = await sourceIdentity(BASE, KEY);
    for (let start = 0; start + 8 <= KEY.length; start += 1) {
      expect(identity).not.toContain(KEY.slice(start, start + 8));
    }
  });

  it("ignores trailing slashes on the base URL", async () => {
    const plain = await sourceIdentity(BASE, KEY);
    expect(await sourceIdentity(`${BASE}/`, KEY)).toBe(plain);
    expect(await sourceIdentity(`${BASE}///`, KEY)).toBe(plain);
    expect(await sourceIdentity("http://127.0.0.1:54340/api/", KEY)).toBe(
      `http://127.0.0.1:54340/api key:sha256:${fingerprint(KEY)}`,
    );
  });

  it("is stable: the same inputs give the same identity", async () => {
    expect(await sourceIdentity(BASE, KEY)).toBe(await sourceIdentity(BASE, KEY));
  });
});
