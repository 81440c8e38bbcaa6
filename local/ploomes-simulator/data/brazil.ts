// Brazilian flavour for the generated data: CNPJ/CPF numbers with valid check digits, and
// company, person and product names that look like a real Ploomes account's.
// Documents are formatted with the usual mask ("12.345.678/0001-95", "123.456.789-09"), which is
// how people type them into a CRM; the sync must strip it (docs/metrics.md: customer_cnpj has no punctuation).

import type { Random } from "./prng.ts";

const CNPJ_FIRST_WEIGHTS = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_SECOND_WEIGHTS = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const CPF_FIRST_WEIGHTS = [10, 9, 8, 7, 6, 5, 4, 3, 2];
const CPF_SECOND_WEIGHTS = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2];
const MODULUS = 11;

/** The mod-11 check digit shared by CNPJ and CPF: remainder < 2 gives 0, otherwise 11 − remainder. */
function checkDigit(digits: readonly number[], weights: readonly number[]): number {
  let sum = 0;
  weights.forEach((weight, i) => {
    sum += (digits[i] ?? 0) * weight;
  });
  const remainder = sum % MODULUS;
  return remainder < 2 ? 0 : MODULUS - remainder;
}

function randomDigits(random: Random, count: number): number[] {
  return Array.from({ length: count }, () => random.int(0, 9));
}

/** A CNPJ with valid check digits: 8 root digits, a branch number ("0001" for the head office). */
export function generateCnpj(random: Random): string {
  const branch = random.chance(0.9) ? [0, 0, 0, 1] : [0, 0, 0, random.int(2, 9)];
  const digits = [...randomDigits(random, 8), ...branch];
  digits.push(checkDigit(digits, CNPJ_FIRST_WEIGHTS));
  digits.push(checkDigit(digits, CNPJ_SECOND_WEIGHTS));
  const s = digits.join("");
  return `${s.slice(0, 2)}.${s.slice(2, 5)}.${s.slice(5, 8)}/${s.slice(8, 12)}-${s.slice(12)}`;
}

/** A CPF with valid check digits (never all-equal digits, which the Receita treats as invalid). */
export function generateCpf(random: Random): string {
  let digits = randomDigits(random, 9);
  while (digits.every((d) => d === digits[0])) digits = randomDigits(random, 9);
  digits.push(checkDigit(digits, CPF_FIRST_WEIGHTS));
  digits.push(checkDigit(digits, CPF_SECOND_WEIGHTS));
  const s = digits.join("");
  return `${s.slice(0, 3)}.${s.slice(3, 6)}.${s.slice(6, 9)}-${s.slice(9)}`;
}

const FIRST_NAMES = [
  "Ana",
  "Beatriz",
  "Camila",
  "Daniela",
  "Eduarda",
  "Fernanda",
  "Gabriela",
  "Helena",
  "Isabela",
  "Juliana",
  "Larissa",
  "Mariana",
  "Natália",
  "Patrícia",
  "Renata",
  "Sofia",
  "Tatiane",
  "Vanessa",
  "André",
  "Bruno",
  "Carlos",
  "Diego",
  "Eduardo",
  "Felipe",
  "Gustavo",
  "Henrique",
  "Igor",
  "João",
  "Lucas",
  "Marcelo",
  "Nicolas",
  "Otávio",
  "Paulo",
  "Rafael",
  "Rodrigo",
  "Thiago",
  "Vinícius",
  "José",
  "Maria",
  "Antônio",
  "Francisca",
  "Luiz",
  "Márcia",
  "Sérgio",
  "Cláudia",
];
const SURNAMES = [
  "Silva",
  "Santos",
  "Oliveira",
  "Souza",
  "Rodrigues",
  "Ferreira",
  "Alves",
  "Pereira",
  "Lima",
  "Gomes",
  "Costa",
  "Ribeiro",
  "Martins",
  "Carvalho",
  "Almeida",
  "Lopes",
  "Soares",
  "Fernandes",
  "Vieira",
  "Barbosa",
  "Rocha",
  "Dias",
  "Nascimento",
  "Andrade",
  "Moreira",
  "Nunes",
  "Marques",
  "Machado",
  "Mendes",
  "Freitas",
  "Cardoso",
  "Ramos",
  "Gonçalves",
  "Santana",
  "Teixeira",
  "Araújo",
];
const PARTICLES = ["da", "de", "dos", "das"];

export function generatePersonName(random: Random): string {
  const parts = [random.pick(FIRST_NAMES)];
  if (random.chance(0.3)) parts.push(random.pick(FIRST_NAMES));
  if (random.chance(0.2)) parts.push(random.pick(PARTICLES));
  parts.push(random.pick(SURNAMES));
  if (random.chance(0.4)) parts.push(random.pick(SURNAMES));
  return parts.join(" ");
}

const SECTOR_PREFIXES = [
  "Metalúrgica",
  "Comercial",
  "Transportes",
  "Distribuidora",
  "Indústria",
  "Construtora",
  "Agropecuária",
  "Farmácia",
  "Supermercado",
  "Autopeças",
  "Madeireira",
  "Laboratório",
  "Tecnologia",
  "Consultoria",
  "Engenharia",
  "Logística",
  "Alimentos",
  "Têxtil",
  "Gráfica",
];
const PLACE_WORDS = [
  "São Jorge",
  "Bandeirantes",
  "Aurora",
  "Horizonte",
  "Paulista",
  "Mineira",
  "Gaúcha",
  "Nordeste",
  "Atlântico",
  "Ipiranga",
  "Cerrado",
  "Pantanal",
  "Serra Azul",
  "Vale Verde",
  "Boa Vista",
  "Santa Clara",
  "Três Rios",
  "Primavera",
  "Estrela",
  "Itapuã",
  "Guanabara",
  "Araucária",
];
const SECTOR_SUFFIXES = [
  "Alimentos",
  "Engenharia",
  "Tecnologia",
  "Logística",
  "Comércio",
  "Serviços",
  "Embalagens",
  "Equipamentos",
  "Materiais de Construção",
  "Distribuição",
  "Agronegócio",
  "Automação",
];
/** Legal-form suffixes with rough frequencies among Brazilian SMB customers. */
const LEGAL_FORMS: readonly (readonly [string, number])[] = [
  ["LTDA", 60],
  ["S.A.", 12],
  ["ME", 15],
  ["EIRELI", 5],
  ["EPP", 8],
];

export interface CompanyName {
  /** The name shown in the CRM; often the legal name itself, sometimes the trade name. */
  readonly name: string;
  readonly legalName: string;
}

export function generateCompanyName(random: Random): CompanyName {
  const pattern = random.int(0, 3);
  let base: string;
  if (pattern === 0) base = `${random.pick(SECTOR_PREFIXES)} ${random.pick(PLACE_WORDS)}`;
  else if (pattern === 1) base = `${random.pick(SURNAMES)} ${random.pick(SECTOR_SUFFIXES)}`;
  else if (pattern === 2) base = `${random.pick(SURNAMES)} & ${random.pick(SURNAMES)}`;
  else base = `${random.pick(PLACE_WORDS)} ${random.pick(SECTOR_SUFFIXES)}`;
  const legalName = `${base} ${random.weighted(LEGAL_FORMS)}`;
  return { name: random.chance(0.7) ? legalName : base, legalName };
}

const PRODUCT_KINDS: readonly (readonly [string, string, number, number])[] = [
  // [name, measurement unit, min catalog price, max catalog price]
  ["Compressor de Ar", "UN", 2500, 25000],
  ["Válvula Esfera", "UN", 40, 900],
  ["Motor Elétrico", "UN", 800, 12000],
  ["Painel Elétrico", "UN", 3000, 40000],
  ["Cabo Flexível", "M", 3, 60],
  ["Chapa de Aço", "KG", 8, 45],
  ["Parafuso Sextavado", "CX", 15, 180],
  ["Tinta Epóxi", "L", 40, 320],
  ["Sensor Indutivo", "UN", 90, 1400],
  ["Licença de Software", "UN", 150, 9000],
  ["Serviço de Instalação", "H", 120, 450],
  ["Consultoria Técnica", "H", 180, 900],
  ["Manutenção Preventiva", "UN", 400, 6000],
  ["Kit de Vedação", "PC", 25, 350],
  ["Rolamento", "PC", 20, 1200],
];
const PRODUCT_VARIANTS = ["Standard", "Pro", "Industrial", "Compacto", "Premium", "Básico", "HD", "Plus"];

export interface ProductTemplate {
  readonly name: string;
  readonly measurementUnit: string;
  readonly minPrice: number;
  readonly maxPrice: number;
}

export function generateProductTemplate(random: Random): ProductTemplate {
  const [kind, unit, minPrice, maxPrice] = random.pick(PRODUCT_KINDS);
  const spec = random.chance(0.5) ? ` ${random.int(1, 40) * 5}` : "";
  return { name: `${kind} ${random.pick(PRODUCT_VARIANTS)}${spec}`, measurementUnit: unit, minPrice, maxPrice };
}

/** "Ana Beatriz Souza" → "ana.souza@…", for contact e-mails that look plausible. */
export function emailFor(name: string, domainHint: string): string {
  const plain = (s: string) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z]/g, "");
  const words = name.split(" ").map(plain).filter((w) => w.length > 2);
  const local = words.length > 1 ? `${words[0]}.${words[words.length - 1]}` : (words[0] ?? "contato");
  const domain = plain(domainHint).slice(0, 18) || "empresa";
  return `${local}@${domain}.com.br`;
}
