import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { operationUses, type OperationUse, type UsageSnapshot } from './usage.js';

/** A deprecated field, argument, enum value or input field, with who still uses it. */
export interface DeprecatedUse {
  readonly coordinate: string;
  readonly reason: string;
  readonly seenUse: OperationUse[];
}

/** Every `@deprecated` coordinate of the schema, in schema order. */
export function deprecatedCoordinates(schema: GraphQLSchema): { coordinate: string; reason: string }[] {
  const found: { coordinate: string; reason: string }[] = [];
  const note = (coordinate: string, reason: string | null | undefined) => {
    if (reason != null) found.push({ coordinate, reason });
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        note(`${type.name}.${field.name}`, field.deprecationReason);
        for (const arg of field.args) note(`${type.name}.${field.name}.${arg.name}`, arg.deprecationReason);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) note(`${type.name}.${field.name}`, field.deprecationReason);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) note(`${type.name}.${value.name}`, value.deprecationReason);
    }
  }
  return found;
}

/** The deprecated coordinates of `schema`, each with the recorded operations that still use it. */
export function deprecatedUse(schema: GraphQLSchema, snapshot: UsageSnapshot): DeprecatedUse[] {
  return deprecatedCoordinates(schema).map(({ coordinate, reason }) => ({
    coordinate,
    reason,
    seenUse: operationUses(snapshot, (document) => document.coordinates.includes(coordinate)),
  }));
}
