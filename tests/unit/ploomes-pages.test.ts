// fetchFullPages / fetchIncrementalPages: keyset paging, nextLinks on the configured origin, the loop guard, incremental
// passes. The rules that decide when a pass ends are in ploomes-pages-end.test.ts.
import { describe, expect, it } from "vitest";
import { fetchFullPages, fetchIncrementalPages } from "../../supabase/functions/_shared/ploomes/pages.ts";
import { BASE, collect, DEADLINE, EMPTY, fakeClient, filterOf, ids, rejection } from "./ploomes-pages-fakes.ts";

describe("fetchFullPages/fetchIncrementalPages: full pass", () => {
  it("walks the Id keyset; a short page is confirmed by one empty keyset answer", async () => {
    const { client, calls } = fakeClient([{ value: ids(1, 2, 3) }, { value: ids(4, 5, 6) }, { value: ids(7) }, EMPTY]);
    const pages = await collect(
      fetchFullPages({
        client,
        position: { lastId: null },
        pageSize: 3,
        includeProducts: true,
        deadlineMs: DEADLINE,
      }),
    );
    expect(pages.map((page) => page.nextPosition)).toEqual([{ lastId: 3 }, { lastId: 6 }, { lastId: 7 }]);
    expect(pages.map((page) => page.values)).toEqual([ids(1, 2, 3), ids(4, 5, 6), ids(7)]);
    // The short page (1 of 3) does not end the walk by itself: the keyset asks after it once more.
    expect(calls.map(filterOf)).toEqual([null, "Id gt 3", "Id gt 6", "Id gt 7"]);
    expect(calls.every((call) => call.kind === "page")).toBe(true);
    expect(pages.map((page) => page.warnings)).toEqual([[], [], []]);
  });

  it("resumes after a stored position and stops on two empty answers", async () => {
    const { client, calls } = fakeClient([{ value: ids(101, 102) }, EMPTY, EMPTY]);
    const pages = await collect(
      fetchFullPages({
        client,
        position: { lastId: 100 },
        pageSize: 2,
        includeProducts: false,
        deadlineMs: DEADLINE,
      }),
    );
    expect(pages).toHaveLength(1);
    expect(calls.map(filterOf)).toEqual(["Id gt 100", "Id gt 102", "Id gt 102"]);
    expect(calls[0]?.target).not.toContain("Products");
  });

  it("fetches nothing ahead: the next request waits for next()", async () => {
    const { client, calls } = fakeClient([{ value: ids(1, 2) }, { value: ids(3) }]);
    const pages = fetchFullPages({
      client,
      position: { lastId: null },
      pageSize: 2,
      includeProducts: true,
      deadlineMs: DEADLINE,
    });
    await pages.next();
    expect(calls).toHaveLength(1);
    await pages.return(undefined);
    expect(calls).toHaveLength(1);
  });

  it("follows an @odata.nextLink on the base origin verbatim, and relative links against the page URL", async () => {
    const absolute = `${BASE}/Deals?$filter=Id%20gt%203&$top=3&$skip=3`;
    const { client, calls } = fakeClient([
      { value: ids(1, 2, 3), nextLink: absolute },
      { value: ids(4, 5, 6), nextLink: "Deals?$skip=6" },
      { value: ids(7) },
      EMPTY,
      EMPTY,
    ]);
    const pages = await collect(
      fetchFullPages({
        client,
        position: { lastId: null },
        pageSize: 3,
        includeProducts: true,
        deadlineMs: DEADLINE,
      }),
    );
    expect(calls[1]).toEqual({ kind: "absolute", target: absolute });
    expect(calls[2]).toEqual({ kind: "absolute", target: `${BASE}/Deals?$skip=6` });
    // Without a nextLink the keyset takes over again, from the last row.
    // (that short page is confirmed by one empty keyset answer).
    expect(calls.slice(3)).toEqual([{ kind: "page", target: expect.stringContaining("Id%20gt%207") }]);
    expect(pages.map((page) => page.warnings)).toEqual([[], [], []]);
    expect(pages.at(-1)?.nextPosition).toEqual({ lastId: 7 });
  });

  it("drops an Id repeated right after itself across pages", async () => {
    const { client } = fakeClient([
      { value: ids(1, 2), nextLink: `${BASE}/Deals?$skip=1` },
      { value: ids(2, 3) },
      EMPTY,
      EMPTY,
    ]);
    const pages = await collect(
      fetchFullPages({
        client,
        position: { lastId: null },
        pageSize: 2,
        includeProducts: true,
        deadlineMs: DEADLINE,
      }),
    );
    expect(pages.map((page) => page.values)).toEqual([ids(1, 2), ids(3)]);
  });
});

describe("fetchFullPages/fetchIncrementalPages: loop guard", () => {
  it("a page that does not advance the keyset is a loop error", async () => {
    const { client, calls } = fakeClient([{ value: ids(1, 2) }, { value: ids(1, 2) }, { value: ids(1, 2) }]);
    const error = await rejection(
      collect(
        fetchFullPages({
          client,
          position: { lastId: null },
          pageSize: 2,
          includeProducts: true,
          deadlineMs: DEADLINE,
        }),
      ),
    );
    expect(error.kind).toBe("loop");
    expect(error.message).toContain("not after Id 2");
    expect(calls).toHaveLength(2);
  });

  it("a repeated nextLink is a loop error", async () => {
    const link = `${BASE}/Deals?$skip=2`;
    const { client, calls } = fakeClient([
      { value: ids(1, 2), nextLink: link },
      { value: ids(3, 4), nextLink: link },
      { value: ids(5, 6) },
    ]);
    const error = await rejection(
      collect(
        fetchFullPages({
          client,
          position: { lastId: null },
          pageSize: 2,
          includeProducts: true,
          deadlineMs: DEADLINE,
        }),
      ),
    );
    expect(error.kind).toBe("loop");
    expect(error.message).toContain("nextLink repeats");
    expect(calls).toHaveLength(2);
  });

  it("rows out of order are an error (keyset paging would skip deals)", async () => {
    const { client } = fakeClient([{ value: ids(5, 3, 9) }]);
    const error = await rejection(
      collect(
        fetchFullPages({
          client,
          position: { lastId: null },
          pageSize: 3,
          includeProducts: true,
          deadlineMs: DEADLINE,
        }),
      ),
    );
    expect(error.kind).toBe("loop");
    expect(error.message).toContain("out of order");
  });

  it("a page without any usable key is an invalid response naming the fields, never the values", async () => {
    const { client } = fakeClient([{
      value: [{ Id: "x-17", ContactName: "Maria Aparecida", CNPJ: null, Amount: 99.5 }, null],
    }]);
    const error = await rejection(
      collect(
        fetchFullPages({
          client,
          position: { lastId: null },
          pageSize: 3,
          includeProducts: true,
          deadlineMs: DEADLINE,
        }),
      ),
    );
    expect(error.kind).toBe("invalid-response");
    expect(error.message).toContain("none of the 2 rows has a usable Id");
    expect(error.message).toContain("{Id: string, ContactName: string, CNPJ: null, Amount: number}");
    for (const value of ["x-17", "Maria Aparecida", "99.5"]) expect(error.message).not.toContain(value);
  });

  it("stops before fetching when the signal is aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("budget low"));
    const { client, calls } = fakeClient([{ value: ids(1) }]);
    await expect(
      collect(
        fetchFullPages({
          client,
          position: { lastId: null },
          pageSize: 3,
          includeProducts: true,
          deadlineMs: DEADLINE,
          signal: controller.signal,
        }),
      ),
    ).rejects.toThrow("budget low");
    expect(calls).toHaveLength(0);
  });
});

describe("fetchFullPages/fetchIncrementalPages: incremental pass", () => {
  const since = "2024-05-02T10:06:12-03:00";
  const d1 = "2024-05-02T10:11:12.1-03:00";
  const d2 = "2024-05-02T10:11:12.9571234-03:00";

  it("starts with ge <since>, then keysets on the raw (LastUpdateDate, Id) pair", async () => {
    const { client, calls } = fakeClient([
      { value: [{ Id: 9, LastUpdateDate: d1 }, { Id: 4, LastUpdateDate: d2 }] },
      { value: [{ Id: 5, LastUpdateDate: d2 }] },
      EMPTY,
      EMPTY,
    ]);
    const pages = await collect(
      fetchIncrementalPages({
        client,
        position: { since },
        pageSize: 2,
        includeProducts: true,
        deadlineMs: DEADLINE,
      }),
    );
    expect(calls.map(filterOf)).toEqual([
      `LastUpdateDate ge ${since}`,
      `LastUpdateDate gt ${d2} or (LastUpdateDate eq ${d2} and Id gt 4)`,
      `LastUpdateDate gt ${d2} or (LastUpdateDate eq ${d2} and Id gt 5)`,
    ]);
    expect(pages.map((page) => page.nextPosition)).toEqual([
      { lastUpdateDate: d2, lastId: 4 },
      { lastUpdateDate: d2, lastId: 5 },
    ]);
  });

  it("a page ending before the watermark is a loop error", async () => {
    const { client } = fakeClient([{ value: [{ Id: 1, LastUpdateDate: "2024-05-02T10:06:11.9999999-03:00" }] }]);
    const error = await rejection(
      collect(
        fetchIncrementalPages({
          client,
          position: { since },
          pageSize: 2,
          includeProducts: true,
          deadlineMs: DEADLINE,
        }),
      ),
    );
    expect(error.kind).toBe("loop");
  });

  it("the same date with a smaller Id does not advance", async () => {
    const { client } = fakeClient([{ value: [{ Id: 3, LastUpdateDate: d2 }] }]);
    const error = await rejection(
      collect(
        fetchIncrementalPages({
          client,
          position: { lastUpdateDate: d2, lastId: 4 },
          pageSize: 2,
          includeProducts: true,
          deadlineMs: DEADLINE,
        }),
      ),
    );
    expect(error.kind).toBe("loop");
  });

  it("compares dates across offsets exactly when checking progress", async () => {
    // 13:11:12.9571235Z is 100 ns after d2 (10:11:12.9571234-03:00): it advances.
    const later = "2024-05-02T13:11:12.9571235Z";
    const { client } = fakeClient([{ value: [{ Id: 1, LastUpdateDate: later }] }, EMPTY, EMPTY]);
    const pages = await collect(
      fetchIncrementalPages({
        client,
        position: { lastUpdateDate: d2, lastId: 4 },
        pageSize: 2,
        includeProducts: true,
        deadlineMs: DEADLINE,
      }),
    );
    expect(pages[0]?.nextPosition).toEqual({ lastUpdateDate: later, lastId: 1 });
  });
});

describe("fetchFullPages: one Id range", () => {
  it("bounds every keyset query above by the range's upper Id", async () => {
    const { client, calls } = fakeClient([{ value: ids(11, 12) }, { value: ids(20) }, EMPTY]);
    const pages = await collect(
      fetchFullPages({
        client,
        position: { lastId: 10 },
        upTo: 20,
        pageSize: 2,
        includeProducts: true,
        deadlineMs: DEADLINE,
      }),
    );
    expect(pages.map((page) => page.nextPosition)).toEqual([{ lastId: 12 }, { lastId: 20 }]);
    expect(calls.map(filterOf)).toEqual(["Id gt 10 and Id le 20", "Id gt 12 and Id le 20", "Id gt 20 and Id le 20"]);
  });

  it("reads the deadline before each request when given as a function", async () => {
    const { client } = fakeClient([{ value: ids(1, 2) }, EMPTY, EMPTY]);
    const seen: number[] = [];
    const deadlines = [DEADLINE, DEADLINE + 1, DEADLINE + 2];
    const pages = fetchFullPages({
      client: {
        ...client,
        getPage: (path, options) => {
          seen.push(options.deadlineMs);
          return client.getPage(path, options);
        },
      },
      position: { lastId: null },
      pageSize: 2,
      includeProducts: true,
      deadlineMs: () => deadlines[seen.length] ?? DEADLINE,
    });
    await collect(pages);
    expect(seen).toEqual(deadlines);
  });
});
