import { readFile } from 'node:fs/promises';
import { buildSchema, isEnumType, isInputObjectType, isIntrospectionType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { API_SCHEMA_FILE, SUPERGRAPH_FILE, compose, readCompositionInput, type SubgraphInput } from './compose.js';

async function withSdl(name: string, edit: (sdl: string) => string): Promise<SubgraphInput[]> {
  return (await readCompositionInput()).map((subgraph) =>
    subgraph.name === name ? { ...subgraph, sdl: edit(subgraph.sdl) } : subgraph,
  );
}

describe('composition', () => {
  it('composes the four offices with no hints, into exactly the committed supergraph and API schema', async () => {
    const outcome = compose(await readCompositionInput());
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors, null, 2));
    expect(outcome.hints).toEqual([]);
    expect(outcome.supergraphSdl).toBe(await readFile(SUPERGRAPH_FILE, 'utf8'));
    expect(outcome.apiSdl).toBe(await readFile(API_SCHEMA_FILE, 'utf8'));
  });

  it('gives every type, field, argument and enum value of the API a description an analyst can read', async () => {
    const schema = buildSchema(await readFile(API_SCHEMA_FILE, 'utf8'));
    const undescribed: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (
        isIntrospectionType(type) ||
        type.name.startsWith('_') ||
        ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)
      )
        continue;
      if (!type.description) undescribed.push(type.name);
      if (isObjectType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) undescribed.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) undescribed.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues()) if (!value.description) undescribed.push(`${type.name}.${value.name}`);
      }
    }
    expect(undescribed).toEqual([]);
  });

  it('reports a type conflict between two offices with its code and the file and line to fix', async () => {
    const outcome = compose(await withSdl('sectors', (sdl) => sdl.replace('document: String!', 'document: Int!')));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const conflict = outcome.errors.find((error) => error.code === 'FIELD_TYPE_MISMATCH');
    expect(conflict?.message).toContain('"Source.document"');
    expect(conflict?.locations.some((at) => /subgraphs\/sectors\/schema\.graphql:\d+:\d+$/.test(at))).toBe(true);
  });

  it('reports an SDL that does not parse with GRAPHQL_PARSE_FAILED and its place', async () => {
    let line = 0;
    const outcome = compose(
      await withSdl('partners', (sdl) => {
        line = sdl.split('\n').indexOf('type Query {') + 1;
        return sdl.replace('type Query {', 'type Query {{');
      }),
    );
    expect(line).toBeGreaterThan(0);
    expect(outcome).toMatchObject({
      ok: false,
      errors: [
        {
          code: 'GRAPHQL_PARSE_FAILED',
          locations: [expect.stringMatching(new RegExp(`subgraphs/partners/schema\\.graphql:${line}:13$`))],
        },
      ],
    });
  });

  it('refuses an entity key on a field that does not exist', async () => {
    const outcome = compose(
      await withSdl('agreements', (sdl) =>
        sdl.replace('type Partner @key(fields: "id")', 'type Partner @key(fields: "code")'),
      ),
    );
    expect(outcome).toMatchObject({ ok: false, errors: [expect.objectContaining({ code: 'KEY_INVALID_FIELDS' })] });
  });
});
