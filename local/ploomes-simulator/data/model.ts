// The entity model the simulator serves: which properties and navigations each Ploomes entity
// type has. This list is what the 403 check uses — a name not declared here is "unknown" and the
// request is forbidden, as the real API does (this simulator's README.md, "The API it serves").
// Property names follow the reference; fields the reference lists but the sync does not need are
// declared only when they help show that unset values come back as null.

export type Scalar = string | number | boolean | null;
export type Row = Record<string, Scalar>;
/** A raw row as the admin API and the snapshot show it; deals, orders and quotes carry their lines under `Products`. */
export type RawEntity = Record<string, Scalar | Row[]>;

export type PropertyType = "int" | "decimal" | "string" | "bool" | "datetime";

export interface PropertyDef {
  readonly name: string;
  readonly type: PropertyType;
}

export type TypeName =
  | "Deal"
  | "Contact"
  | "Product"
  | "DealProduct"
  | "DealStatus"
  | "Stage"
  | "Pipeline"
  | "LossReason"
  | "Account"
  | "DeletedDeal"
  | "Order"
  | "OrderProduct"
  | "Quote"
  | "QuoteProduct";

/** What navigations read from; the store implements it. */
export interface NavigationSource {
  contact(id: number): Row | undefined;
  product(id: number): Row | undefined;
  deal(id: number): Row | undefined;
  /** A deal's own line items (the deal navigation `Products`). */
  lineItems(dealId: number): readonly Row[];
  orderLines(orderId: number): readonly Row[];
  quoteLines(quoteId: number): readonly Row[];
  status(id: number): Row | undefined;
  stage(id: number): Row | undefined;
  pipeline(id: number): Row | undefined;
  lossReason(id: number): Row | undefined;
  stagesOf(pipelineId: number): readonly Row[];
}

interface NavigationBase {
  readonly name: string;
  readonly target: TypeName;
}
export interface SingleNavigation extends NavigationBase {
  readonly many: false;
  resolve(row: Row, source: NavigationSource): Row | null;
}
export interface CollectionNavigation extends NavigationBase {
  readonly many: true;
  resolve(row: Row, source: NavigationSource): readonly Row[];
}
export type NavigationDef = SingleNavigation | CollectionNavigation;

export interface EntityType {
  readonly name: TypeName;
  /** Declared order, which is also the order of keys in responses. */
  readonly properties: readonly PropertyDef[];
  readonly propertyByName: ReadonlyMap<string, PropertyDef>;
  readonly navigationByName: ReadonlyMap<string, NavigationDef>;
}

const props = (spec: Record<string, PropertyType>): PropertyDef[] =>
  Object.entries(spec).map(([name, type]) => ({ name, type }));

/** Follows a foreign-key property to one related row; null when the key is null or dangling. */
function byKey(
  name: string,
  target: TypeName,
  keyProperty: string,
  lookup: (source: NavigationSource, id: number) => Row | undefined,
): SingleNavigation {
  return {
    name,
    target,
    many: false,
    resolve: (row, source) => {
      const id = row[keyProperty];
      return typeof id === "number" ? (lookup(source, id) ?? null) : null;
    },
  };
}

/** A collection navigation to the rows that `lines` finds for the row's Id. */
function linesOf(
  name: string,
  target: TypeName,
  lines: (source: NavigationSource, id: number) => readonly Row[],
): CollectionNavigation {
  return {
    name,
    target,
    many: true,
    resolve: (row, source) => (typeof row.Id === "number" ? lines(source, row.Id) : []),
  };
}

function entityType(name: TypeName, properties: PropertyDef[], navigations: NavigationDef[] = []): EntityType {
  return {
    name,
    properties,
    propertyByName: new Map(properties.map((p) => [p.name, p])),
    navigationByName: new Map(navigations.map((n) => [n.name, n])),
  };
}

const DEAL_PROPERTIES = props({
  Id: "int",
  Title: "string",
  ContactId: "int",
  ContactName: "string",
  PersonId: "int",
  PersonName: "string",
  PipelineId: "int",
  StageId: "int",
  StatusId: "int",
  Amount: "decimal",
  StartAmount: "decimal",
  CurrencyId: "int",
  OwnerId: "int",
  CreatorId: "int",
  LossReasonId: "int",
  OriginId: "int",
  DealNumber: "int",
  CreateDate: "datetime",
  StartDate: "datetime",
  FinishDate: "datetime",
  LastUpdateDate: "datetime",
});

const CONTACT_PROPERTIES = props({
  Id: "int",
  Name: "string",
  LegalName: "string",
  TypeId: "int",
  CNPJ: "string",
  CPF: "string",
  Register: "string",
  CompanyId: "int",
  StatusId: "int",
  OwnerId: "int",
  OriginId: "int",
  Email: "string",
  CreateDate: "datetime",
  LastUpdateDate: "datetime",
});

const PRODUCT_PROPERTIES = props({
  Id: "int",
  Code: "string",
  Name: "string",
  UnitPrice: "decimal",
  CurrencyId: "int",
  GroupId: "int",
  FamilyId: "int",
  Suspended: "bool",
  MeasurementUnit: "string",
  CreateDate: "datetime",
  LastUpdateDate: "datetime",
});

const LINE_ITEM_PROPERTIES = props({
  Id: "int",
  DealId: "int",
  ProductId: "int",
  ProductName: "string",
  Quantity: "decimal",
  UnitPrice: "decimal",
  Discount: "decimal",
  Total: "decimal",
  Ordination: "int",
});

// Orders and quotes (sales documents) and their lines, with the property names Ploomes' Orders
// and Quotes entities use. Lines repeat their document's DealId, ContactId and date, as Ploomes'
// OrderProduct/QuoteProduct rows do, so a walk of the @Products sets alone can attribute them.
const ORDER_PROPERTIES = props({
  Id: "int",
  OrderNumber: "int",
  Date: "datetime",
  DealId: "int",
  ContactId: "int",
  PersonId: "int",
  StageId: "int",
  Amount: "decimal",
  Discount: "decimal",
  OriginQuoteId: "int",
  CurrencyId: "int",
  CreateDate: "datetime",
  LastUpdateDate: "datetime",
});

const ORDER_LINE_PROPERTIES = props({
  Id: "int",
  OrderId: "int",
  DealId: "int",
  ContactId: "int",
  OrderDate: "datetime",
  ProductId: "int",
  ProductName: "string",
  Quantity: "decimal",
  UnitPrice: "decimal",
  Discount: "decimal",
  Bonus: "decimal",
  Total: "decimal",
  Ordination: "int",
});

const QUOTE_PROPERTIES = props({
  Id: "int",
  QuoteNumber: "int",
  ReviewNumber: "int",
  LastReview: "bool",
  ApprovalStatusId: "int",
  DealId: "int",
  ContactId: "int",
  PersonId: "int",
  Amount: "decimal",
  Discount: "decimal",
  Date: "datetime",
  CurrencyId: "int",
  CreateDate: "datetime",
  LastUpdateDate: "datetime",
});

const QUOTE_LINE_PROPERTIES = props({
  Id: "int",
  QuoteId: "int",
  DealId: "int",
  ContactId: "int",
  QuoteDate: "datetime",
  ProductId: "int",
  ProductName: "string",
  Quantity: "decimal",
  UnitPrice: "decimal",
  Discount: "decimal",
  Total: "decimal",
  Ordination: "int",
});

export const ENTITY_TYPES: Readonly<Record<TypeName, EntityType>> = {
  Deal: entityType("Deal", DEAL_PROPERTIES, [
    byKey("Contact", "Contact", "ContactId", (s, id) => s.contact(id)),
    byKey("Person", "Contact", "PersonId", (s, id) => s.contact(id)),
    byKey("Status", "DealStatus", "StatusId", (s, id) => s.status(id)),
    byKey("Stage", "Stage", "StageId", (s, id) => s.stage(id)),
    byKey("Pipeline", "Pipeline", "PipelineId", (s, id) => s.pipeline(id)),
    byKey("LossReason", "LossReason", "LossReasonId", (s, id) => s.lossReason(id)),
    linesOf("Products", "DealProduct", (s, id) => s.lineItems(id)),
  ]),
  Contact: entityType("Contact", CONTACT_PROPERTIES, [
    byKey("Company", "Contact", "CompanyId", (s, id) => s.contact(id)),
  ]),
  Product: entityType("Product", PRODUCT_PROPERTIES),
  DealProduct: entityType("DealProduct", LINE_ITEM_PROPERTIES, [
    byKey("Product", "Product", "ProductId", (s, id) => s.product(id)),
  ]),
  DealStatus: entityType("DealStatus", props({ Id: "int", Name: "string" })),
  Stage: entityType("Stage", props({ Id: "int", Name: "string", PipelineId: "int", Ordination: "int" }), [
    byKey("Pipeline", "Pipeline", "PipelineId", (s, id) => s.pipeline(id)),
  ]),
  Pipeline: entityType("Pipeline", props({ Id: "int", Name: "string" }), [
    {
      name: "Stages",
      target: "Stage",
      many: true,
      resolve: (row, source) => (typeof row.Id === "number" ? source.stagesOf(row.Id) : []),
    },
  ]),
  LossReason: entityType("LossReason", props({ Id: "int", Name: "string", PipelineId: "int" })),
  Account: entityType("Account", props({ Id: "int", Name: "string" })),
  DeletedDeal: entityType("DeletedDeal", props({ Id: "int", LastUpdateDate: "datetime" })),
  Order: entityType("Order", ORDER_PROPERTIES, [
    linesOf("Products", "OrderProduct", (s, id) => s.orderLines(id)),
    byKey("Deal", "Deal", "DealId", (s, id) => s.deal(id)),
    byKey("Contact", "Contact", "ContactId", (s, id) => s.contact(id)),
  ]),
  OrderProduct: entityType("OrderProduct", ORDER_LINE_PROPERTIES, [
    byKey("Product", "Product", "ProductId", (s, id) => s.product(id)),
  ]),
  Quote: entityType("Quote", QUOTE_PROPERTIES, [
    linesOf("Products", "QuoteProduct", (s, id) => s.quoteLines(id)),
    byKey("Deal", "Deal", "DealId", (s, id) => s.deal(id)),
    byKey("Contact", "Contact", "ContactId", (s, id) => s.contact(id)),
  ]),
  QuoteProduct: entityType("QuoteProduct", QUOTE_LINE_PROPERTIES, [
    byKey("Product", "Product", "ProductId", (s, id) => s.product(id)),
  ]),
};

/** Reads a row's numeric Id; every stored row has one, so anything else is a bug. */
export function idOf(row: Row): number {
  const id = row.Id;
  if (typeof id !== "number") throw new Error(`row without a numeric Id: ${JSON.stringify(row)}`);
  return id;
}

/** Deal status lookup ([obs]: public integrations' DealStatus enum and deal fixtures). */
export const DEAL_STATUSES: readonly Row[] = [
  { Id: 1, Name: "Em aberto" },
  { Id: 2, Name: "Ganha" },
  { Id: 3, Name: "Perdida" },
];
export const STATUS_OPEN = 1;
export const STATUS_WON = 2;
export const STATUS_LOST = 3;
export const CONTACT_TYPE_COMPANY = 1;
export const CONTACT_TYPE_PERSON = 2;
export const CURRENCY_BRL = 1;
/** An order line's Bonus (extra units given free) unless set: none. */
export const NO_BONUS = 0;

/**
 * Quote ApprovalStatusId values. [inf]: Ploomes does not document the ids; these are the
 * simulator's choice (1 pending, 2 approved, 3 rejected) and a real account may number them otherwise.
 */
export const APPROVAL_PENDING = 1;
export const APPROVAL_APPROVED = 2;
export const APPROVAL_REJECTED = 3;
export const APPROVAL_STATUSES: readonly number[] = [APPROVAL_PENDING, APPROVAL_APPROVED, APPROVAL_REJECTED];
