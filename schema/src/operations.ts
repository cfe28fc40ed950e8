import { readFile, readdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import {
  Kind,
  TypeInfo,
  getNamedType,
  isEnumType,
  isInputObjectType,
  parse,
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

/** Where registered operations live by default: the example operations and any trusted-documents manifest. */
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

/** Every registered operation: `*.graphql` in the operation folders, and every trusted-documents manifest found. */
export async function readRegisteredOperations(
  operationDirs: readonly string[] = DEFAULT_OPERATION_DIRS.map((dir) => resolve(REPO_DIR, dir)),
  manifestDirs: readonly string[] = DEFAULT_MANIFEST_DIRS.map((dir) => resolve(REPO_DIR, dir)),
): Promise<RegisteredOperation[]> {
  const operations: RegisteredOperation[] = [];
  for (const dir of operationDirs) {
    for (const file of await listFiles(dir, (name) => name.endsWith('.graphql'))) {
      const document = await readFile(file, 'utf8');
      const source = relative(REPO_DIR, file);
      operations.push({ name: operationNames(document, source).join(', '), source, document });
    }
  }
  for (const dir of manifestDirs) {
    for (const file of await listFiles(dir, (name) => MANIFEST_NAME.test(name))) {
      operations.push(...readManifest(JSON.parse(await readFile(file, 'utf8')), relative(REPO_DIR, file)));
    }
  }
  return operations;
}

/**
 * The schema coordinates an operation touches (`Type.field`, `Type.field.argument`), and the enum
 * and input types it reads or sends, whose values and fields matter to it as a whole.
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
        used.add(`${parent.name}.${node.name.value}`);
        noteType(typeInfo.getType());
      },
      Argument(node) {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (parent && field) used.add(`${parent.name}.${field.name}.${node.name.value}`);
        noteType(typeInfo.getInputType());
      },
      VariableDefinition() {
        noteType(typeInfo.getInputType());
      },
    }),
  );
  return used;
}

/** Whether a change at `path` (graphql-inspector's coordinate) touches what an operation uses. */
export function touches(used: ReadonlySet<string>, path: string): boolean {
  if (used.has(path)) return true;
  const [typeName] = path.split('.');
  // A change inside an enum or input type the operation uses (a removed value, a new required field).
  return typeName !== undefined && typeName !== path && used.has(typeName);
}
