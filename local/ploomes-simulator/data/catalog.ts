// Generates the account's contacts (companies with CNPJ, people with CPF, some people working at
// a company) and its product catalog. Dates precede the epoch; documents are unique.

import { formatInstant } from "../instant.ts";
import {
  emailFor,
  generateCnpj,
  generateCompanyName,
  generateCpf,
  generatePersonName,
  generateProductTemplate,
} from "./brazil.ts";
import { CONTACT_TYPE_COMPANY, CONTACT_TYPE_PERSON, CURRENCY_BRL, type Row } from "./model.ts";
import type { Random } from "./prng.ts";
import { DAY, FIRST_CONTACT_ID, FIRST_PRODUCT_ID, money, nextId, OWNER_IDS, randomInstant, YEAR } from "./values.ts";

export function generateContacts(random: Random, count: number, epochSeconds: number): Row[] {
  const contacts: Row[] = [];
  const companyIds: number[] = [];
  const usedDocuments = new Set<string>();
  const uniqueDocument = (make: () => string): string => {
    let doc = make();
    while (usedDocuments.has(doc)) doc = make();
    usedDocuments.add(doc);
    return doc;
  };
  let id = FIRST_CONTACT_ID - 1;
  for (let i = 0; i < count; i++) {
    id = nextId(random, id, 0.3, 12);
    const created = randomInstant(random, epochSeconds - 6 * YEAR, epochSeconds - 30 * DAY);
    const updated = randomInstant(random, created.seconds, epochSeconds - 1);
    const isCompany = random.chance(0.72);
    const base = {
      Id: id,
      StatusId: random.int(1, 3),
      OwnerId: random.pick(OWNER_IDS),
      OriginId: null,
      CreateDate: formatInstant(created),
      LastUpdateDate: formatInstant(updated),
    };
    if (isCompany) {
      const { name, legalName } = generateCompanyName(random);
      const cnpj = random.chance(0.95) ? uniqueDocument(() => generateCnpj(random)) : null;
      contacts.push({
        ...base,
        Name: name,
        LegalName: legalName,
        TypeId: CONTACT_TYPE_COMPANY,
        CNPJ: cnpj,
        CPF: null,
        Register: cnpj,
        CompanyId: null,
        Email: emailFor("contato", name),
      });
      companyIds.push(id);
    } else {
      const name = generatePersonName(random);
      const cpf = random.chance(0.92) ? uniqueDocument(() => generateCpf(random)) : null;
      const companyId = companyIds.length > 0 && random.chance(0.6) ? random.pick(companyIds) : null;
      contacts.push({
        ...base,
        Name: name,
        LegalName: null,
        TypeId: CONTACT_TYPE_PERSON,
        CNPJ: null,
        CPF: cpf,
        Register: cpf,
        CompanyId: companyId,
        Email: emailFor(name, random.pick(["gmail", "outlook", "uol", "terra"])),
      });
    }
  }
  return contacts.map(orderContact);
}

/** Key order of a contact as the model declares it, so snapshots read like API rows. */
function orderContact(c: Row): Row {
  return {
    Id: c.Id ?? null,
    Name: c.Name ?? null,
    LegalName: c.LegalName ?? null,
    TypeId: c.TypeId ?? null,
    CNPJ: c.CNPJ ?? null,
    CPF: c.CPF ?? null,
    Register: c.Register ?? null,
    CompanyId: c.CompanyId ?? null,
    StatusId: c.StatusId ?? null,
    OwnerId: c.OwnerId ?? null,
    OriginId: c.OriginId ?? null,
    Email: c.Email ?? null,
    CreateDate: c.CreateDate ?? null,
    LastUpdateDate: c.LastUpdateDate ?? null,
  };
}

export function generateProducts(random: Random, count: number, epochSeconds: number): Row[] {
  const products: Row[] = [];
  let id = FIRST_PRODUCT_ID - 1;
  for (let i = 0; i < count; i++) {
    id = nextId(random, id, 0.2, 9);
    const template = generateProductTemplate(random);
    const created = randomInstant(random, epochSeconds - 6 * YEAR, epochSeconds - YEAR);
    const updated = randomInstant(random, created.seconds, epochSeconds - 1);
    products.push({
      Id: id,
      Code: `${template.measurementUnit}-${String(1000 + i * 7).padStart(5, "0")}`,
      Name: template.name,
      UnitPrice: money(random, template.minPrice, template.maxPrice),
      CurrencyId: CURRENCY_BRL,
      GroupId: 400001 + random.int(0, 4),
      FamilyId: random.chance(0.8) ? 500001 + random.int(0, 2) : null,
      Suspended: random.chance(0.08),
      MeasurementUnit: template.measurementUnit,
      CreateDate: formatInstant(created),
      LastUpdateDate: formatInstant(updated),
    });
  }
  return products;
}
