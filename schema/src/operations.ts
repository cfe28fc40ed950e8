import { readFile, readdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import {
  Kind,
  TypeInfo,
  getNamedType,
  isEnumType,
  isInputObjectType,
  parse,
  print,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import { SCHEMA_DIR } from './compose.js';

export const REPO_DIR = resolve(SCHEMA_DIR, '..');

/** An operation clients have registered: an example operation file, or a trusted-documents entry. */
export interface RegisteredOperation {
  /** The operation's name, or the document's hash when it has none. */
  name: string;
  /** Where it is registered: `file` or `file#hash`. */
  source: string;
  document: string;
}

/** Where registered operations live by default, under the repository: the example operations and any trusted-documents manifest. */
export const DEFAULT_OPERATION_DIRS = ['test/operations'];
export const DEFAULT_MANIFEST_DIRS = ['test/operations/__generated__', 'gateway', 'gateway/src/security', 'schema'];
const MANIFEST_NAME = /^(trusted|persisted)[-_.]?(documents|operations|queries)[^/]*\.json$/i;

function operationNames(document: string, fallback: string): string[] {
  try {
    const names = parse(document).definitions.flatMap((definition) =>
      definition.kind === Kind.OPERATION_DEFINITION ? [definition.name?.value ?? fallback] : [],
    );
    return names.length > 0 ? names : [fallback];
  } catch {
    return [fallback];
  }
}

async function listFiles(dir: string, keep: (name: string) => boolean): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter(keep)
    .sort()
    .map((name) => join(dir, name));
}

/**
 * Reads a trusted-documents manifest: Apollo's persisted-query manifest (`{ operations: [{ id, name,
 * body }] }`), a list of `{ hash|id, document|body }`, or an object of `hash -> document`.
 */
export function readManifest(manifest: unknown, file: string): RegisteredOperation[] {
  const listed =
    typeof manifest === 'object' && manifest !== null && 'operations' in manifest ? manifest.operations : undefined;
  const json: unknown = Array.isArray(listed) ? listed : manifest;
  const entries: [string, unknown][] = Array.isArray(json)
    ? json.map((entry: Record<string, unknown>, index) => {
        const key = entry.hash ?? entry.id;
        return [typeof key === 'string' ? key : String(index), entry.document ?? entry.body ?? entry.query];
      })
    : typeof json === 'object' && json !== null
      ? Object.entries(json)
      : [];
  return entries.flatMap(([hash, document]) =>
    typeof document === 'string'
      ? [{ name: operationNames(document, hash).join(', '), source: `${file}#${hash}`, document }]
      : [],
  );
}

/** The document as `print` writes it: the manifest's body of an example operation file, so both count once. */
function printed(document: string): string {
  try {
    return print(parse(document));
  } catch {
    return document;
  }
}

/**
 * Every registered operation, once: `*.graphql` in the operation folders, and every
 * trusted-documents manifest found under `repoDir`. A manifest entry of an example operation file
 * (`npm run codegen` writes one per file) is the same operation, kept under the file's name.
 */
export async function readRegisteredOperations(
  repoDir = REPO_DIR,
  operationDirs: readonly string[] = DEFAULT_OPERATION_DIRS,
  manifestDirs: readonly string[] = DEFAULT_MANIFEST_DIRS,
): Promise<RegisteredOperation[]> {
  const operations = new Map<string, RegisteredOperation>();
  const add = (operation: RegisteredOperation) => {
    const key = printed(operation.document);
    if (!operations.has(key)) operations.set(key, operation);
  };
  for (const dir of operationDirs) {
    for (const file of await listFiles(resolve(repoDir, dir), (name) => name.endsWith('.graphql'))) {
      const document = await readFile(file, 'utf8');
      const source = relative(repoDir, file);
      add({ name: operationNames(document, source).join(', '), source, document });
    }
  }
  for (const dir of manifestDirs) {
    for (const file of await listFiles(resolve(repoDir, dir), (name) => MANIFEST_NAME.test(name))) {
      readManifest(JSON.parse(await readFile(file, 'utf8')), relative(repoDir, file)).forEach(add);
    }
  }
  return [...operations.values()];
}

/**
 * The schema coordinates an operation uses: each type it selects on (`Partner`), field
 * (`Partner.name`) and argument (`Partner.agreements.first`); the enum and input types it reads or
 * sends (`Kind`, `AgreementInput`), whose values and fields matter to it as a whole, and the enum
 * values (`Kind.COUNTRY`) and input fields (`AgreementInput.title`) written in the document itself.
 */
export function usedCoordinates(schema: GraphQLSchema, document: DocumentNode): Set<string> {
  const used = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  const noteType = (type: Parameters<typeof getNamedType>[0] | null | undefined) => {
    const named = type ? getNamedType(type) : undefined;
    if (named && (isEnumType(named) || isInputObjectType(named))) used.add(named.name);
  };
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent) return;
        used.add(parent.name);
        used.add(`${parent.name}.${node.name.value}`);
        const type = typeInfo.getType();
        if (type) used.add(getNamedType(type).name);
        noteType(type);
      },
      Argument(node) {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (parent && field) used.add(`${parent.name}.${field.name}.${node.name.value}`);
        noteType(typeInfo.getInputType());
      },
      ObjectField(node) {
        const input = typeInfo.getParentInputType();
        const named = input ? getNamedType(input) : undefined;
        if (named && isInputObjectType(named)) used.add(`${named.name}.${node.name.value}`);
        noteType(typeInfo.getInputType());
      },
      EnumValue(node) {
        const type = typeInfo.getInputType();
        const named = type ? getNamedType(type) : undefined;
        if (named && isEnumType(named)) used.add(`${named.name}.${node.value}`);
      },
      VariableDefinition() {
        noteType(typeInfo.getInputType());
      },
    }),
  );
  return used;
}

/**
 * Whether a change at `path` (graphql-inspector's coordinate) touches what an operation uses, by
 * the kinds of `schema` (the base, where the coordinate was used): the coordinate itself; an
 * argument of a field it selects (a new required argument, a changed default); or anything inside
 * an enum or input type it reads or sends as a whole (a removed value, a new required input field).
 */
export function touches(used: ReadonlySet<string>, path: string, schema: GraphQLSchema): boolean {
  if (used.has(path)) return true;
  const [typeName, fieldName, argumentName] = path.split('.');
  if (typeName === undefined || fieldName === undefined) return false;
  if (argumentName !== undefined) return used.has(`${typeName}.${fieldName}`);
  const type = schema.getType(typeName);
  return used.has(typeName) && (isEnumType(type) || isInputObjectType(type));
}
