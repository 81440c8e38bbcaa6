import { describe, expect, it } from "vitest";
import { linkSignals, realSleep } from "../../supabase/functions/_shared/ploomes/timing.ts";

describe("linkSignals", () => {
  it("aborts with the reason of whichever input aborts", () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals([a.signal, undefined, b.signal]);
    expect(linked.signal.aborted).toBe(false);
    b.abort(new Error("b stopped"));
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toEqual(new Error("b stopped"));
  });

  it("starts aborted when an input already is", () => {
    const a = new AbortController();
    a.abort("early");
    expect(linkSignals([a.signal]).signal.reason).toBe("early");
  });

  it("dispose detaches from the inputs", () => {
    const a = new AbortController();
    const linked = linkSignals([a.signal]);
    linked.dispose();
    a.abort();
    expect(linked.signal.aborted).toBe(false);
  });

  it("its own controller aborts it (used for the request timeout)", () => {
    const linked = linkSignals([]);
    linked.controller.abort(new DOMException("late", "TimeoutError"));
    expect(linked.signal.aborted).toBe(true);
  });
});

describe("realSleep cancellation", () => {
  it("rejects at once for an aborted signal", async () => {
    const controller = new AbortController();
    controller.abort(new Error("gone"));
    await expect(realSleep(60_000, controller.signal)).rejects.toThrow("gone");
  });

  it("rejects as soon as the signal aborts while sleeping", async () => {
    const controller = new AbortController();
    const sleeping = realSleep(60_000, controller.signal);
    controller.abort(new Error("stop now"));
    await expect(sleeping).rejects.toThrow("stop now");
  });
});
