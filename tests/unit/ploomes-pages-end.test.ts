// fetchFullPages: when a walk ends (on two empty answers in a row, the second our own keyset
// query; or on a short page confirmed by one empty keyset answer while pages are not capped) and which @odata.nextLink is followed (only one on the base origin).
// A pass that ended early would let the full pass's sweep delete the deals it never reached.
import { describe, expect, it } from "vitest";
import { fetchFullPages, fetchIncrementalPages } from "../../supabase/functions/_shared/ploomes/pages.ts";
import { BASE, collect, DEADLINE, EMPTY, fakeClient, filterOf, fullPass, ids } from "./ploomes-pages-fakes.ts";

describe("fetchFullPages: a short page does not end the pass", () => {
  it("a page shorter than $top is followed by the keyset query after its last Id", async () => {
    const { client, calls } = fakeClient([{ value: ids(1) }, { value: ids(2, 3, 4) }, { value: ids(5) }, EMPTY, EMPTY]);
    const pages = await fullPass(client, 3);
    expect(pages.map((page) => page.values)).toEqual([ids(1), ids(2, 3, 4), ids(5)]);
    expect(calls.map(filterOf)).toEqual([null, "Id gt 1", "Id gt 4", "Id gt 5", "Id gt 5"]);
    expect(pages.map((page) => page.warnings)).toEqual([[], [], []]);
  });

  it("the next request waits for next(), also after a short page", async () => {
    const { client, calls } = fakeClient([{ value: ids(1) }, EMPTY]);
    const pages = fetchFullPages({
      client,
      position: { lastId: null },
      pageSize: 300,
      includeProducts: true,
      deadlineMs: DEADLINE,
    });
    const first = await pages.next();
    expect(first.done).toBe(false);
    expect(calls).toHaveLength(1);
    expect(await pages.next()).toEqual({ done: true, value: undefined });
    expect(calls).toHaveLength(2);
  });
});

describe("fetchFullPages: a short page and one empty answer end the walk, unless pages are capped", () => {
  it("a short page confirmed by one empty keyset answer ends the walk", async () => {
    const { client, calls } = fakeClient([{ value: ids(1, 2, 3) }, { value: ids(4) }, EMPTY]);
    const pages = await fullPass(client, 3);
    expect(pages.map((page) => page.values)).toEqual([ids(1, 2, 3), ids(4)]);
    expect(calls.map(filterOf)).toEqual([null, "Id gt 3", "Id gt 4"]);
  });

  it("once a short page was followed by more rows, only two empty answers end the walk", async () => {
    const { client, calls } = fakeClient([{ value: ids(1) }, { value: ids(2) }, EMPTY, EMPTY]);
    const pages = await fullPass(client, 3);
    expect(pages).toHaveLength(2);
    expect(calls.map(filterOf)).toEqual([null, "Id gt 1", "Id gt 2", "Id gt 2"]);
  });

  it("a full page followed by one empty answer is confirmed before the walk ends", async () => {
    const { client, calls } = fakeClient([{ value: ids(1, 2, 3) }, EMPTY, EMPTY]);
    await fullPass(client, 3);
    expect(calls.map(filterOf)).toEqual([null, "Id gt 3", "Id gt 3"]);
  });

  it("an empty answer to a followed nextLink after a short page is confirmed by the keyset", async () => {
    const { client, calls } = fakeClient([{ value: ids(1), nextLink: `${BASE}/Deals?$skip=1` }, EMPTY, EMPTY]);
    await fullPass(client, 3);
    expect(calls.map((call) => call.kind)).toEqual(["page", "absolute", "page"]);
  });
});

describe("fetchFullPages: two empty answers in a row end the pass", () => {
  it("one empty answer is confirmed by the same keyset query before the pass ends", async () => {
    const { client, calls } = fakeClient([{ value: ids(1, 2) }, EMPTY, EMPTY]);
    const pages = await fullPass(client, 2);
    expect(pages).toHaveLength(1);
    expect(calls.map(filterOf)).toEqual([null, "Id gt 2", "Id gt 2"]);
  });

  it("an empty start is confirmed too: no page at all", async () => {
    const { client, calls } = fakeClient([EMPTY, EMPTY]);
    const pages = await fullPass(client, 300, { lastId: 41 });
    expect(pages).toEqual([]);
    expect(calls.map(filterOf)).toEqual(["Id gt 41", "Id gt 41"]);
  });

  it("an incremental pass needs the same confirmation", async () => {
    const since = "2024-05-02T10:06:12-03:00";
    const { client, calls } = fakeClient([EMPTY, EMPTY]);
    const pages = await collect(
      fetchIncrementalPages({ client, position: { since }, pageSize: 2, includeProducts: true, deadlineMs: DEADLINE }),
    );
    expect(pages).toEqual([]);
    expect(calls.map(filterOf)).toEqual([`LastUpdateDate ge ${since}`, `LastUpdateDate ge ${since}`]);
  });

  it("an empty answer followed by data goes on, and that page carries a warning", async () => {
    const { client, calls } = fakeClient([{ value: ids(1, 2) }, EMPTY, { value: ids(3, 4) }, EMPTY, EMPTY]);
    const pages = await fullPass(client, 2);
    expect(pages.map((page) => page.values)).toEqual([ids(1, 2), ids(3, 4)]);
    expect(calls.map(filterOf)).toEqual([null, "Id gt 2", "Id gt 2", "Id gt 4", "Id gt 4"]);
    expect(pages[0]?.warnings).toEqual([]);
    expect(pages[1]?.warnings).toHaveLength(1);
    expect(pages[1]?.warnings[0]).toContain("empty page after Id 2");
    expect(pages[1]?.warnings[0]).toContain("more deals");
  });

  it("empty answers count only in a row: one between data pages never ends the pass", async () => {
    const { client } = fakeClient([
      { value: ids(1) },
      EMPTY,
      { value: ids(2) },
      EMPTY,
      { value: ids(3) },
      EMPTY,
      EMPTY,
    ]);
    const pages = await fullPass(client, 1);
    expect(pages.map((page) => page.nextPosition)).toEqual([{ lastId: 1 }, { lastId: 2 }, { lastId: 3 }]);
    expect(pages.map((page) => page.warnings.length)).toEqual([0, 1, 1]);
  });

  it("an empty answer to a nextLink is confirmed by our own keyset query, not by the link", async () => {
    const link = `${BASE}/Deals?$skip=2`;
    const { client, calls } = fakeClient([{ value: ids(1, 2), nextLink: link }, {
      value: [],
      nextLink: `${BASE}/Deals?$skip=4`,
    }, EMPTY]);
    const pages = await fullPass(client, 2);
    expect(pages).toHaveLength(1);
    expect(calls.map((call) => call.kind)).toEqual(["page", "absolute", "page"]);
    expect(calls[1]?.target).toBe(link);
    expect(filterOf(calls[2])).toBe("Id gt 2");
  });

  it("an empty nextLink answer followed by data from the keyset query goes on with a warning", async () => {
    const { client, calls } = fakeClient([{ value: ids(1, 2), nextLink: `${BASE}/Deals?$skip=2` }, EMPTY, {
      value: ids(3),
    }, EMPTY]);
    const pages = await fullPass(client, 2);
    expect(calls.map((call) => call.kind)).toEqual(["page", "absolute", "page", "page"]);
    expect(calls.slice(2).map(filterOf)).toEqual(["Id gt 2", "Id gt 3"]);
    expect(pages.map((page) => page.values)).toEqual([ids(1, 2), ids(3)]);
    expect(pages[1]?.warnings).toHaveLength(1);
    expect(pages[1]?.warnings[0]).toContain("empty page after Id 2");
  });
});

describe("fetchFullPages: @odata.nextLink only on the base origin", () => {
  it("a nextLink on the base origin is followed (getAbsolute) without a warning", async () => {
    const link = `${BASE}/Deals?$top=2&$skip=2`;
    const { client, calls } = fakeClient([{ value: ids(1, 2), nextLink: link }, { value: ids(3) }, EMPTY, EMPTY]);
    const pages = await fullPass(client, 2);
    expect(calls[1]).toEqual({ kind: "absolute", target: link });
    expect(pages.map((page) => page.warnings)).toEqual([[], []]);
  });

  it.each([
    ["another host", "https://public6-api2.ploomes.com", "https://public6-api2.ploomes.com/Deals?$skip=2"],
    ["plain http on the same host", "http://public-api2.ploomes.com", "http://public-api2.ploomes.com/Deals?$skip=2"],
    ["another port", "https://public-api2.ploomes.com:8443", "https://public-api2.ploomes.com:8443/Deals?$skip=2"],
    ["a protocol-relative link to another host", "https://evil.example", "//evil.example/Deals?$skip=2"],
  ])("a nextLink to %s is not followed: a warning, and the keyset goes on", async (_label, foreignOrigin, link) => {
    const { client, calls } = fakeClient([{ value: ids(1, 2), nextLink: link }, { value: ids(3, 4) }, EMPTY, EMPTY]);
    const pages = await fullPass(client, 2);
    expect(calls.every((call) => call.kind === "page")).toBe(true);
    expect(calls.map(filterOf)).toEqual([null, "Id gt 2", "Id gt 4", "Id gt 4"]);
    expect(pages.map((page) => page.values)).toEqual([ids(1, 2), ids(3, 4)]);
    expect(pages[0]?.warnings).toHaveLength(1);
    const warning = pages[0]?.warnings[0] ?? "";
    expect(warning).toContain(`@odata.nextLink to ${foreignOrigin}`);
    expect(warning).toContain(`origin ${BASE}`);
    expect(warning).toContain("not followed");
    expect(pages[1]?.warnings).toEqual([]);
  });

  it("the same foreign nextLink on every page is warned about each time, never taken for a loop", async () => {
    const link = "https://public6-api2.ploomes.com/Deals?$skip=2";
    const { client, calls } = fakeClient([
      { value: ids(1, 2), nextLink: link },
      { value: ids(3, 4), nextLink: link },
      EMPTY,
      EMPTY,
    ]);
    const pages = await fullPass(client, 2);
    expect(pages.map((page) => page.warnings.length)).toEqual([1, 1]);
    expect(calls.map(filterOf)).toEqual([null, "Id gt 2", "Id gt 4", "Id gt 4"]);
  });

  it("a page can carry both warnings: after an empty answer, with a foreign nextLink", async () => {
    const link = "https://public6-api2.ploomes.com/Deals?$skip=9";
    const { client } = fakeClient([{ value: ids(1) }, EMPTY, { value: ids(2), nextLink: link }, EMPTY, EMPTY]);
    const pages = await fullPass(client, 1);
    expect(pages[1]?.warnings).toHaveLength(2);
    expect(pages[1]?.warnings[0]).toContain("empty page after Id 1");
    expect(pages[1]?.warnings[1]).toContain("https://public6-api2.ploomes.com");
  });
});
