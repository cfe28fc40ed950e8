import { badUserInput } from '@cip/core';
import { defaultFieldResolver, isObjectType, type GraphQLSchema } from 'graphql';

/**
 * Why PostgreSQL cannot take a string as it is, or undefined when it can. Text in a UTF-8 database
 * holds no NUL character (the store refuses it: "invalid byte sequence"), and a lone UTF-16
 * surrogate has no UTF-8 form: the drivers store U+FFFD in its place in text, and jsonb refuses it.
 */
export function unstorableText(value: string): string | undefined {
  if (value.includes('\u0000')) return 'holds a NUL character (\\u0000), which cannot be stored';
  // With the `u` flag a surrogate pair is one code point, so only a lone surrogate matches.
  if (/\p{Cs}/u.test(value)) return 'holds a lone UTF-16 surrogate, which is not Unicode text';
  return undefined;
}

/**
 * The first string in an argument's value that cannot be stored, by its path from the argument
 * (`id`, `input.name`, `representations[2].id`), with why. Walked without recursion: a JSON scalar
 * (`_Any`) may nest as deep as the body allows.
 */
export function findUnstorable(argument: string, value: unknown): { path: string; reason: string } | undefined {
  const pending: [string, unknown][] = [[argument, value]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [path, item] = next;
    if (typeof item === 'string') {
      const reason = unstorableText(item);
      if (reason) return { path, reason };
    } else if (Array.isArray(item)) {
      for (let index = item.length - 1; index >= 0; index--) pending.push([`${path}[${index}]`, item[index]]);
    } else if (item !== null && typeof item === 'object') {
      const entries = Object.entries(item);
      for (const [key] of entries) {
        const reason = unstorableText(key);
        if (reason) return { path, reason: `has a key that ${reason}` };
      }
      for (const [key, child] of entries.reverse()) pending.push([`${path}.${key}`, child]);
    }
  }
  return undefined;
}

/**
 * Makes every field that takes arguments refuse, before its resolver (and so before any SQL) runs,
 * a string argument the store cannot hold: `BAD_USER_INPUT` naming the argument's path, null at
 * the field's path like any other bad argument, the rest of the answer kept. One check for every
 * office, on the values the resolver would get (variables substituted, defaults applied, `_Any`
 * representations parsed) instead of the request's text. Per field rather than for the whole
 * request: a refused request would be an HTTP error, which the gateway reports as the office's
 * failure (`SUBGRAPH_BAD_RESPONSE`) instead of the caller's.
 */
export function refuseUnstorableArguments(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length === 0) continue;
      const names = field.args.map((argument) => argument.name);
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args: Record<string, unknown>, context, info) => {
        for (const name of names) {
          const found = findUnstorable(name, args[name]);
          if (found) throw badUserInput(`${found.path} ${found.reason}.`, found.path);
        }
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
