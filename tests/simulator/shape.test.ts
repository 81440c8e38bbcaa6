// The envelope and the shape of rows: every field (null when unset) without $select, only the
// selected keys with it, navigations only when expanded — with nested $select/$filter/$orderby/
// $expand/$top — plus the lookup sets, /Account and key paths.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Simulator, Snapshot } from "../../local/ploomes-simulator/index.ts";
import { apiGet, fetchSnapshot, getPage, num, type Rec, sortBy, startTestSimulator } from "./helpers.ts";

/** The deal fields the sync relies on, plus unset ones that must come back as null. */
const DEAL_FIELDS = [
  "Id",
  "Title",
  "ContactId",
  "ContactName",
  "PersonId",
  "PersonName",
  "PipelineId",
  "StageId",
  "StatusId",
  "Amount",
  "CurrencyId",
  "OwnerId",
  "CreateDate",
  "StartDate",
  "FinishDate",
  "LastUpdateDate",
  "LossReasonId",
  "OriginId",
  "DealNumber",
];

let sim: Simulator;
let snap: Snapshot;
let dealsById: Map<number, Rec>;
let contactsById: Map<number, Rec>;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 41, deals: 400 });
  snap = await fetchSnapshot(sim);
  dealsById = new Map(snap.deals.map((d) => [num(d.Id), d]));
  contactsById = new Map(snap.contacts.map((c) => [num(c.Id), c]));
});
afterAll(() => sim.stop());

const withoutItems = (deal: Rec | undefined): Rec => {
  const { Products: _items, ...rest } = deal ?? {};
  return rest;
};

describe("envelope and $select", () => {
  it("wraps rows in {@odata.context, value}", async () => {
    const page = await getPage(sim, "/Deals", { $top: "2" });
    expect(page.context).toBe(`${sim.url}/$metadata#Deals`);
    expect(Object.keys(JSON.parse(page.raw) as Rec)).toEqual(["@odata.context", "value"]);
  });

  it("without $select returns every field, unset ones as null, and no navigation", async () => {
    const page = await getPage(sim, "/Deals", { $top: "50" });
    for (const row of page.value) {
      for (const field of DEAL_FIELDS) expect(row, field).toHaveProperty(field);
      for (const navigation of ["Contact", "Products", "Status", "Stage"]) expect(row).not.toHaveProperty(navigation);
      expect(row.OriginId).toBeNull();
      expect(row).toEqual(withoutItems(dealsById.get(num(row.Id))));
    }
    expect(page.value.some((r) => r.FinishDate === null)).toBe(true);
  });

  it("with $select returns only the selected keys", async () => {
    const page = await getPage(sim, "/Deals", { $select: "StatusId,Id,Amount", $top: "20" });
    for (const row of page.value) {
      expect(Object.keys(row).sort()).toEqual(["Amount", "Id", "StatusId"]);
      const raw = dealsById.get(num(row.Id));
      expect(row).toEqual({ Id: raw?.Id, StatusId: raw?.StatusId, Amount: raw?.Amount });
    }
  });
});

describe("$expand", () => {
  it("Contact($select=…) returns the contact, or null for a deal without one", async () => {
    const page = await getPage(sim, "/Deals", {
      $select: "Id,ContactId",
      $expand: "Contact($select=Id,Name,CNPJ,CPF,TypeId)",
      $top: "300",
    });
    expect(page.value.some((d) => d.Contact === null)).toBe(true);
    for (const deal of page.value) {
      if (deal.ContactId === null) {
        expect(deal.Contact).toBeNull();
        continue;
      }
      const c = contactsById.get(num(deal.ContactId));
      expect(deal.Contact).toEqual({ Id: c?.Id, Name: c?.Name, TypeId: c?.TypeId, CNPJ: c?.CNPJ, CPF: c?.CPF });
    }
  });

  it("Products returns every line item with all fields", async () => {
    const page = await getPage(sim, "/Deals", { $select: "Id", $expand: "Products", $top: "100" });
    for (const deal of page.value) {
      expect(deal.Products).toEqual(dealsById.get(num(deal.Id))?.Products);
    }
  });

  it("Products($select;$filter;$orderby) applies the nested options", async () => {
    const page = await getPage(sim, "/Deals", {
      $select: "Id",
      $expand:
        "Products($select=Id,ProductId,Total,Discount;$filter=Discount gt 0 or Total ge 1000;$orderby=Total desc)",
      $top: "150",
    });
    for (const deal of page.value) {
      const raw = (dealsById.get(num(deal.Id))?.Products ?? []) as Rec[];
      const expected = sortBy(raw.filter((l) => num(l.Discount) > 0 || num(l.Total) >= 1000), [{
        key: "Total",
        desc: true,
      }])
        .map((l) => ({ Id: l.Id, ProductId: l.ProductId, Discount: l.Discount, Total: l.Total }));
      expect(deal.Products).toEqual(expected);
    }
  });

  it("Products($top=1;$expand=Product($select=UnitPrice)) nests an expansion inside an expansion", async () => {
    const catalog = new Map(snap.products.map((p) => [num(p.Id), p.UnitPrice]));
    const page = await getPage(sim, "/Deals", {
      $select: "Id",
      $expand: "Products($select=ProductId;$top=1;$expand=Product($select=UnitPrice))",
      $top: "100",
    });
    for (const deal of page.value) {
      const first = ((dealsById.get(num(deal.Id))?.Products ?? []) as Rec[])[0];
      expect(deal.Products).toEqual(
        first ? [{ ProductId: first.ProductId, Product: { UnitPrice: catalog.get(num(first.ProductId)) } }] : [],
      );
    }
  });

  it("Status and Stage give the lookup rows", async () => {
    const statusNames = new Map([[1, "Em aberto"], [2, "Ganha"], [3, "Perdida"]]);
    const stages = new Map(snap.stages.map((s) => [num(s.Id), s]));
    const page = await getPage(sim, "/Deals", {
      $select: "Id,StatusId,StageId",
      $expand: "Status,Stage($select=Id,Name)",
      $top: "100",
    });
    for (const deal of page.value) {
      expect(deal.Status).toEqual({ Id: deal.StatusId, Name: statusNames.get(num(deal.StatusId)) });
      expect(deal.Stage).toEqual({ Id: deal.StageId, Name: stages.get(num(deal.StageId))?.Name });
    }
  });

  it("combines the expansions the sync uses in one page", async () => {
    const page = await getPage(sim, "/Deals", {
      $select: "Id,ContactId,StatusId,Amount,LastUpdateDate",
      $expand: "Contact($select=Id,Name,TypeId,CNPJ,CPF),Products($select=ProductId,Quantity,UnitPrice,Discount,Total)",
      $filter: `Id gt ${num(snap.deals[10]?.Id)}`,
      $orderby: "Id",
      $top: "300",
    });
    expect(page.value).toHaveLength(300);
    expect(Object.keys(page.value[0] ?? {})).toEqual([
      "Id",
      "ContactId",
      "StatusId",
      "Amount",
      "LastUpdateDate",
      "Contact",
      "Products",
    ]);
  });
});

describe("other entity sets", () => {
  it("Deals@Status lists the three statuses", async () => {
    const page = await getPage(sim, "/Deals@Status");
    expect(page.value).toEqual([{ Id: 1, Name: "Em aberto" }, { Id: 2, Name: "Ganha" }, { Id: 3, Name: "Perdida" }]);
    expect(page.context).toBe(`${sim.url}/$metadata#Deals@Status`);
  });

  it("Deals@Pipelines?$expand=Stages nests each pipeline's stages", async () => {
    const page = await getPage(sim, "/Deals@Pipelines", { $expand: "Stages($select=Id,Name;$orderby=Ordination)" });
    expect(page.value).toHaveLength(snap.pipelines.length);
    for (const pipeline of page.value) {
      const expected = sortBy(snap.stages.filter((s) => s.PipelineId === pipeline.Id), [{ key: "Ordination" }]).map((
        s,
      ) => ({ Id: s.Id, Name: s.Name }));
      expect(pipeline.Stages).toEqual(expected);
    }
  });

  it("Deals@Stages filters by pipeline", async () => {
    const pipelineId = num(snap.pipelines[1]?.Id);
    const page = await getPage(sim, "/Deals@Stages", { $filter: `PipelineId eq ${pipelineId}` });
    expect(page.value).toEqual(snap.stages.filter((s) => s.PipelineId === pipelineId));
  });

  it("GET /Account?$top=1&$select=Id answers the key check", async () => {
    const page = await getPage(sim, "/Account", { $top: "1", $select: "Id" });
    expect(page.value).toHaveLength(1);
    expect(Object.keys(page.value[0] ?? {})).toEqual(["Id"]);
    expect(typeof page.value[0]?.Id).toBe("number");
  });

  it("Contacts and Products serve their raw rows", async () => {
    const contacts = await getPage(sim, "/Contacts", { $top: "300" });
    expect(contacts.value).toEqual(snap.contacts.slice(0, 300));
    const products = await getPage(sim, "/Products", { $select: "Id,Code,Name,UnitPrice,Suspended" });
    expect(products.value).toEqual(
      snap.products.map((p) => ({
        Id: p.Id,
        Code: p.Code,
        Name: p.Name,
        UnitPrice: p.UnitPrice,
        Suspended: p.Suspended,
      })),
    );
  });

  it("Deals(id) answers the envelope with that one deal, 404 for an unknown id", async () => {
    const deal = snap.deals[5];
    const page = await getPage(sim, `/Deals(${num(deal?.Id)})`, { $select: "Id,Title" });
    expect(page.value).toEqual([{ Id: deal?.Id, Title: deal?.Title }]);
    expect((await apiGet(sim, "/Deals(1)")).status).toBe(404);
  });
});
