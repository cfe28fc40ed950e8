// What an office's own enforcement of its field rules (packages/subgraph-kit/src/fieldEnforcement.ts)
// costs on its hot path: the same operations executed in-process on the office's schema without and
// with `enforceFieldRules`, alternating rounds so both meet the same machine. Over the embedded
// store (PGlite) with the seed data. Usage: node bench/office-field-rules.mjs [<rounds>]
import { performance } from 'node:perf_hooks';
import { readCommandLine } from './lib/commandLine.mjs';

const cli = readCommandLine({
  name: 'node bench/office-field-rules.mjs',
  help: `node bench/office-field-rules.mjs: times operations on an office's schema without and with its own field-rule checks.

Usage: node bench/office-field-rules.mjs [<rounds>]

Arguments:
  <rounds>            alternating timed rounds per contender, after one warm-up round each (default: 40)

Options:
  -h, --help          print this help and exit

Needs \`npm run build\`. Prints one JSON line per operation and contender (operations a second, the
median of the rounds), then the difference.
`,
  options: {},
  positionals: 1,
});
const rounds = cli.integer('<rounds>', cli.positionals[0] ?? '40');
const [{ buildSubgraphSchema }, { execute, parse }, kit, { partnersSubgraph }, { agreementsSubgraph }] =
  await Promise.all([
    import('@apollo/subgraph'),
    import('graphql'),
    import('@cip/subgraph-kit'),
    import('@cip/subgraph-partners'),
    import('@cip/subgraph-agreements'),
  ]);

const store = new kit.PgliteDatabase(await kit.openPglite());
const caller = {
  authenticated: true,
  subject: 'bench',
  scopes: ['partners:restricted', 'agreements:restricted'],
};
const agreementIds = [
  'smart-border-declaration',
  'border-partnership-declaration',
  'security-and-prosperity-partnership',
  'uk-joint-contact-group',
  'g8-counter-terrorism-statement',
  'nato-sc-epc',
];
const cases = [
  {
    name: 'partners list with contacts (2 guarded fields a partner)',
    module: partnersSubgraph,
    query:
      '{ partners(first: 100) { nodes { id name kind region pointsOfContact { name role email } bodies { name } } } }',
    variables: {},
  },
  {
    name: 'partners list without guarded fields',
    module: partnersSubgraph,
    query: '{ partners(first: 100) { nodes { id name kind region bodies { name } memberOf { asOfYear } } } }',
    variables: {},
  },
  {
    name: 'agreements _entities with notes and status (2 guarded fields an agreement)',
    module: agreementsSubgraph,
    query:
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Agreement { id title kind internalNotes negotiationStatus } } }',
    variables: { r: Array.from({ length: 60 }, (_, i) => ({ __typename: 'Agreement', id: agreementIds[i % 6] })) },
  },
];

for (const module of [partnersSubgraph, agreementsSubgraph]) await kit.migrateSubgraph(module, store.share());

const schemaOf = (module) => buildSubgraphSchema({ typeDefs: module.typeDefs, resolvers: module.resolvers });
const OPERATIONS_A_ROUND = 50;

async function round(schema, testCase, document) {
  const started = performance.now();
  for (let i = 0; i < OPERATIONS_A_ROUND; i++) {
    const result = await execute({
      schema,
      document,
      variableValues: testCase.variables,
      contextValue: Object.assign(testCase.module.createContext(store), { caller }),
    });
    if (result.errors) throw new Error(JSON.stringify(result.errors));
  }
  return (OPERATIONS_A_ROUND * 1000) / (performance.now() - started);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const testCase of cases) {
  const document = parse(testCase.query);
  const contenders = {
    'without rules': schemaOf(testCase.module),
    'with rules': kit.enforceFieldRules(schemaOf(testCase.module)),
  };
  const rates = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let r = -1; r < rounds; r++) {
    for (const [name, schema] of Object.entries(contenders)) {
      const rate = await round(schema, testCase, document);
      if (r >= 0) rates[name].push(rate);
    }
  }
  const [without, withRules] = Object.values(rates).map(median);
  for (const [name, values] of Object.entries(rates))
    console.log(
      JSON.stringify({ operation: testCase.name, contender: name, opsPerSecond: Math.round(median(values)) }),
    );
  console.log(`${testCase.name}: ${(((withRules - without) / without) * 100).toFixed(1)}% with rules`);
}
await store.close();
