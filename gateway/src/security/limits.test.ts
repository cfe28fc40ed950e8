import { readFileSync, readdirSync } from 'node:fs';
import { API_SCHEMA_FILE } from '@cip/schema';
import { Kind, buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkLimits, countTokens, limitsPlugin, measureOperation, type OperationLimits } from './limits.js';

const schema = buildSchema(readFileSync(API_SCHEMA_FILE, 'utf8'));

function measure(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  return measureOperation(schema, document, operation, variables, 10);
}

const DEFAULTS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 20,
  maxDirectives: 30,
  maxTokens: 5_000,
  maxCost: 50_000,
  maxBatch: 10,
  assumedListSize: 10,
};

describe('operation limits', () => {
  it('every client operation in test/operations is well within the default limits', () => {
    const directory = new URL('../../../test/operations/', import.meta.url);
    for (const file of readdirSync(directory).filter((name) => name.endsWith('.graphql'))) {
      const query = readFileSync(new URL(file, directory), 'utf8');
      const measured = measure(query);
      expect(() => checkLimits(measured, DEFAULTS), file).not.toThrow();
      expect(measured.cost, file).toBeLessThan(DEFAULTS.maxCost / 2);
      expect(countTokens(query, DEFAULTS.maxTokens)).toBeLessThan(DEFAULTS.maxTokens / 4);
    }
  });

  it('measures depth, aliases, root fields and directives through fragments', () => {
    const measured = measure(`
      query { a: partner(id: "x") { ...P } b: partners { totalCount } }
      fragment P on Partner { memberOf { organization { name @include(if: true) } } }`);
    expect(measured).toMatchObject({ depth: 4, aliases: 2, rootFields: 2, directives: 1 });
  });

  it('costs a page by its page-size argument, literal, variable or default', () => {
    const literal = measure('{ partners(first: 5) { nodes { memberOf { asOfYear } } } }');
    const variable = measure('query($n: Int) { partners(first: $n) { nodes { memberOf { asOfYear } } } }', { n: 5 });
    const defaulted = measure('{ partners { nodes { memberOf { asOfYear } } } }');
    // partners (1) + its nodes list (1) + per node: memberOf (1, a list of 10 assumed x 0 for leaves)
    expect(literal.cost).toBe(1 + 1 + 5 * 1);
    expect(variable.cost).toBe(literal.cost);
    expect(defaulted.cost).toBe(1 + 1 + 20 * 1);
  });

  // The hole of issue 13: `first: $n` with `$n: Int = 100` and no variables was estimated at the
  // assumed list size, not at the 100 pages that run.
  const DEEP = (first: string) =>
    `{ partners(first: ${first}) { nodes { agreements(first: ${first}) { nodes { parties { agreements(first: ${first}) { nodes { parties { agreements(first: ${first}) { nodes { id title } } } } } } } } } } }`;

  it("applies the operation's variable defaults before estimating, as execution does", () => {
    const query = `query Q($n: Int = 100) ${DEEP('$n')}`;
    const defaulted = measure(query);
    expect(defaulted.cost).toBe(measure(query, { n: 100 }).cost);
    expect(defaulted.cost).toBe(measure(DEEP('100')).cost);
    expect(defaulted.cost).toBeGreaterThan(1_000_000);
    expect(measure(query, { n: 1 }).cost).toBeLessThan(1_000);
  });

  it("counts a variable left out, or null, or a literal null, as the office's default page", () => {
    const query = 'query ($n: Int) { partners(first: $n) { nodes { memberOf { asOfYear } } } }';
    const office = 1 + 1 + 20 * 1; // the argument's default, `first: Int = 20`, as the office applies it
    expect(measure(query).cost).toBe(office);
    expect(measure(query, { n: null }).cost).toBe(office);
    expect(measure('{ partners(first: null) { nodes { memberOf { asOfYear } } } }').cost).toBe(office);
    expect(measure(DEEP('null')).cost).toBe(measure(DEEP('20')).cost);
  });

  it('@cost weights and @listSize sizes declared in the SDL replace the defaults', () => {
    const document = parse('{ sectors(first: 2) { nodes { cascade { hops } } } }');
    const operation = document.definitions[0] as OperationDefinitionNode;
    const plain = measureOperation(schema, document, operation, {}, 10);
    const hinted = measureOperation(
      schema,
      document,
      operation,
      {},
      10,
      new Map([['Sector.cascade', { weight: 5, assumedSize: 17 }]]),
    );
    expect(plain.cost).toBe(1 + 1 + 2 * 1);
    expect(hinted.cost).toBe(1 + 1 + 2 * 5);
    const listed = measure('{ sectors(first: 2) { nodes { cascade { sector { name } } } } }');
    expect(listed.cost).toBe(1 + 1 + 2 * (1 + 10 * 1));
  });

  it('nested pages multiply', () => {
    const cost = measure('{ partners(first: 100) { nodes { members(first: 100) { nodes { id } } } } }').cost;
    expect(cost).toBe(2 + 100 * 2);
    const deeper = measure(
      '{ partners(first: 100) { nodes { members(first: 100) { nodes { members(first: 100) { nodes { id } } } } } } }',
    ).cost;
    expect(deeper).toBe(2 + 100 * (2 + 100 * 2));
  });

  it('fragments spread exponentially are refused as too costly, not expanded', () => {
    const fragments = Array.from(
      { length: 30 },
      (_, i) => `fragment F${i} on Partner { ...F${i + 1} ...F${i + 1} }`,
    ).join('\n');
    const measured = measure(`{ partner(id: "x") { ...F0 } }\n${fragments}\nfragment F30 on Partner { id }`);
    expect(measured.cost).toBe(Number.POSITIVE_INFINITY);
    expect(() => checkLimits(measured, DEFAULTS)).toThrow(/cost/);
  });

  it('counts tokens up to just past the limit', () => {
    expect(countTokens('{ a b c }', 10)).toBe(5);
    expect(countTokens('{ a b c }', 3)).toBe(4);
    expect(countTokens('{ "unterminated', 10)).toBeNull();
  });
});

describe('the limits plugin on repeated request texts', () => {
  // Each distinct text is parsed once and kept; the measure must still be this request's.
  type Started = { didResolveOperation?: (context: unknown) => Promise<void> } | undefined;
  const plugin = limitsPlugin({ ...DEFAULTS, maxCost: 100 });
  const start = (query: string, variables: Record<string, unknown> = {}) =>
    plugin.requestDidStart?.({
      request: { query, variables },
      schema,
      contextValue: { req: {} },
      requestIsBatched: false,
    } as never) as Promise<Started>;
  const PAGES = 'query($n: Int) { partners(first: $n) { nodes { agreements(first: $n) { nodes { id } } } } }';

  it('measures each request with its own variables, the text parsed or not before', async () => {
    expect(await start(PAGES, { n: 5 })).toBeUndefined();
    const refused = await start(PAGES, { n: 100 });
    await expect(refused?.didResolveOperation?.({})).rejects.toMatchObject({
      extensions: { code: 'COST_LIMIT_EXCEEDED' },
    });
    expect(await start(PAGES, { n: 5 })).toBeUndefined();
  });

  it('keeps measuring once more distinct texts came than it keeps', async () => {
    for (let index = 0; index < 1_100; index++) expect(await start(`{ a${index}: __typename }`)).toBeUndefined();
    expect(await start(PAGES, { n: 100 })).toBeDefined();
    expect(await start('{ partners { nodes { id } ')).toBeUndefined(); // not GraphQL: Apollo's parsing says why
  });
});
