// The network settings every Deno the stack starts gets: the system's CAs trusted unless the
// caller chose a trust store, the caller's proxies and CA file passed on, nothing else.
import { describe, expect, it } from "vitest";
import { denoNetworkEnv } from "../../local/gateway/deno-network-env.ts";

describe("denoNetworkEnv", () => {
  it("trusts Mozilla's roots and the system's when nothing is set", () => {
    expect(denoNetworkEnv({})).toEqual({ DENO_TLS_CA_STORE: "mozilla,system" });
  });

  it("keeps the caller's trust store, CA file and proxies, and drops everything else", () => {
    const env = {
      DENO_TLS_CA_STORE: "system",
      DENO_CERT: "/etc/proxy-ca.pem",
      HTTPS_PROXY: "http://127.0.0.1:3128",
      no_proxy: "127.0.0.1,localhost",
      PLOOMES_API_KEY: "not-for-deno",
      HOME: "/root",
      HTTP_PROXY: "",
    };
    expect(denoNetworkEnv(env)).toEqual({
      DENO_TLS_CA_STORE: "system",
      DENO_CERT: "/etc/proxy-ca.pem",
      HTTPS_PROXY: "http://127.0.0.1:3128",
      no_proxy: "127.0.0.1,localhost",
    });
  });
});
