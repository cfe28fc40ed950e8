/** The names one subgraph's files use, all derived from its kebab-case name and its entity type. */
export interface SubgraphNames {
  /** `partner-reports`: the folder, the composition name, the package suffix. */
  name: string;
  /** `PartnerReports`, `partnerReports`. */
  pascal: string;
  camel: string;
  /** `partner_reports`: the PostgreSQL schema its tables live in. */
  storeSchema: string;
  /** `PartnerReport`, `partnerReport`, `partnerReports`, `partner_report`. */
  entity: string;
  entityCamel: string;
  entityPlural: string;
  table: string;
  /** The existing entity the new one references, e.g. `Partner` / `partner`. */
  references: string;
  referencesCamel: string;
}

export const SUBGRAPH_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
export const TYPE_NAME = /^[A-Z][a-zA-Z0-9]*$/;
/** Names that would collide with the monorepo's own packages or read as something they are not. */
export const RESERVED_NAMES = new Set([
  'core',
  'gateway',
  'schema',
  'stack',
  'kit',
  'subgraph',
  'feed-kit',
  'explorer',
  'test',
]);

const words = (kebab: string) => kebab.split('-');
const capitalise = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
const lowerFirst = (word: string) => word.charAt(0).toLowerCase() + word.slice(1);
const snake = (pascal: string) => pascal.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

export function plural(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  return `${word}s`;
}

/** `partner-reports` gives `PartnerReport`: the name's words, the last one made singular when it plainly is plural. */
export function defaultEntity(name: string): string {
  const pascal = words(name).map(capitalise).join('');
  return pascal.endsWith('ies')
    ? `${pascal.slice(0, -3)}y`
    : pascal.endsWith('s') && !pascal.endsWith('ss')
      ? pascal.slice(0, -1)
      : pascal;
}

export function deriveNames(name: string, entity: string, references: string): SubgraphNames {
  const pascal = words(name).map(capitalise).join('');
  return {
    name,
    pascal,
    camel: lowerFirst(pascal),
    storeSchema: name.replaceAll('-', '_'),
    entity,
    entityCamel: lowerFirst(entity),
    entityPlural: plural(lowerFirst(entity)),
    table: snake(entity),
    references,
    referencesCamel: lowerFirst(references),
  };
}
