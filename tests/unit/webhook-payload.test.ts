import { describe, expect, it } from "vitest";
import { bodyValidationKey, readPayload } from "../../supabase/functions/_shared/webhook/payload.ts";

const DEAL_ENTITY = 2;

describe("readPayload: the action, inferred from New and Old", () => {
  it("New without Old is a creation", () => {
    expect(readPayload({ New: { Id: 101, Title: "x" } }, DEAL_ENTITY)).toEqual({
      kind: "deal",
      dealId: 101,
      action: "create",
    });
  });

  it("New with Old: null is a creation", () => {
    expect(readPayload({ New: { Id: 101 }, Old: null }, DEAL_ENTITY)).toEqual({
      kind: "deal",
      dealId: 101,
      action: "create",
    });
  });

  it("New and Old is an update, with New's Id", () => {
    expect(readPayload({ New: { Id: 102 }, Old: { Id: 102 } }, DEAL_ENTITY)).toEqual({
      kind: "deal",
      dealId: 102,
      action: "update",
    });
  });

  it("Old without New is a deletion, with Old's Id", () => {
    expect(readPayload({ Old: { Id: 103 }, New: null }, DEAL_ENTITY)).toEqual({
      kind: "deal",
      dealId: 103,
      action: "delete",
    });
  });

  it("does not trust ActionId: New and Old make an update whatever ActionId says", () => {
    expect(readPayload({ ActionId: 1, New: { Id: 104 }, Old: { Id: 104 } }, DEAL_ENTITY)).toEqual({
      kind: "deal",
      dealId: 104,
      action: "update",
    });
    expect(readPayload({ ActionId: 2, Old: { Id: 104 } }, DEAL_ENTITY)).toEqual({
      kind: "deal",
      dealId: 104,
      action: "delete",
    });
  });
});

describe("readPayload: the deal Id", () => {
  it("falls back to Old.Id when New has no usable Id", () => {
    expect(readPayload({ New: { Title: "no id" }, Old: { Id: 105 } }, DEAL_ENTITY)).toEqual({
      kind: "deal",
      dealId: 105,
      action: "update",
    });
    expect(readPayload({ New: { Id: "105" }, Old: { Id: 106 } }, DEAL_ENTITY)).toEqual({
      kind: "deal",
      dealId: 106,
      action: "update",
    });
  });

  it.each([
    ["New without Id", { New: {} }],
    ["a string Id", { New: { Id: "107" } }],
    ["a zero Id", { New: { Id: 0 } }],
    ["a negative Id", { Old: { Id: -5 } }],
    ["a fractional Id", { New: { Id: 1.5 } }],
    ["an Id beyond the safe integers", { New: { Id: 2 ** 53 } }],
    ["a null Id", { New: { Id: null }, Old: { Id: null } }],
  ])("is invalid with %s, naming New.Id and Old.Id", (_label, body) => {
    expect(readPayload(body, DEAL_ENTITY)).toEqual({
      kind: "invalid",
      problem: "no deal Id: neither New.Id nor Old.Id is a positive integer",
    });
  });

  it("is invalid when neither New nor Old is present", () => {
    const expected = {
      kind: "invalid",
      problem: "neither New nor Old is present: nothing says which deal changed",
    };
    expect(readPayload({}, DEAL_ENTITY)).toEqual(expected);
    expect(readPayload({ New: null, Old: null, ActionId: 1, Id: 5 }, DEAL_ENTITY)).toEqual(expected);
  });

  it.each([
    ["New", { New: "deal 5", Old: { Id: 5 } }],
    ["New", { New: [{ Id: 5 }] }],
    ["Old", { New: { Id: 5 }, Old: 5 }],
  ])("is invalid when %s is not an object", (name, body) => {
    expect(readPayload(body, DEAL_ENTITY)).toEqual({ kind: "invalid", problem: `${name} is not an object` });
  });
});

describe("readPayload: EntityId", () => {
  it("accepts the deal entity, as a number or as digits", () => {
    expect(readPayload({ EntityId: 2, New: { Id: 108 } }, DEAL_ENTITY)).toEqual({
      kind: "deal",
      dealId: 108,
      action: "create",
    });
    expect(readPayload({ EntityId: "2", New: { Id: 108 } }, DEAL_ENTITY)).toEqual({
      kind: "deal",
      dealId: 108,
      action: "create",
    });
  });

  it("accepts a payload without EntityId (or with null)", () => {
    expect(readPayload({ EntityId: null, Old: { Id: 109 } }, DEAL_ENTITY)).toEqual({
      kind: "deal",
      dealId: 109,
      action: "delete",
    });
  });

  it.each([[1], [3], ["contacts"], [{ Id: 2 }], [2.5]])("ignores EntityId %j without quoting it", (entity) => {
    expect(readPayload({ EntityId: entity, New: { Id: 110 } }, DEAL_ENTITY)).toEqual({
      kind: "ignored",
      reason: "not a deal event: EntityId is not 2",
    });
  });

  it("compares with the configured deal entity id", () => {
    expect(readPayload({ EntityId: 7, New: { Id: 111 } }, 7)).toEqual({ kind: "deal", dealId: 111, action: "create" });
    expect(readPayload({ EntityId: 2, New: { Id: 111 } }, 7)).toEqual({
      kind: "ignored",
      reason: "not a deal event: EntityId is not 7",
    });
  });

  it("comes before the Id: another entity without an Id is ignored, not invalid", () => {
    expect(readPayload({ EntityId: 1, New: {} }, DEAL_ENTITY)).toEqual({
      kind: "ignored",
      reason: "not a deal event: EntityId is not 2",
    });
  });
});

describe("bodyValidationKey", () => {
  it("reads a non-empty string ValidationKey", () => {
    expect(bodyValidationKey({ ValidationKey: "k-123" })).toBe("k-123");
  });

  it.each([
    ["absent", {}],
    ["empty", { ValidationKey: "" }],
    ["a number", { ValidationKey: 123 }],
    ["an object", { ValidationKey: { Key: "k" } }],
    ["differently cased", { validationKey: "k-123" }],
  ])("is null when %s", (_label, body) => {
    expect(bodyValidationKey(body)).toBeNull();
  });
});
