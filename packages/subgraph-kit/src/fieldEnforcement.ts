import { UNAUTHORIZED_FIELD_MESSAGE, codedError, type RunMode, type VerifiedClaims } from '@cip/core';
import { defaultFieldResolver, isObjectType, type GraphQLSchema } from 'graphql';
import { enforcedRules, mayRead } from './fieldAccess.js';
import { callerOf } from './gatewaySignature.js';

/**
 * Makes the office enforce its own SDL's `@authenticated` and `@requiresScopes` (defence in depth:
 * a request with a valid gateway credential still cannot read, or write, what its caller may not).
 * The gateway takes such fields out of an operation before any office is asked, so this holds
 * against a request made around it. Each guarded field's resolver (the default one included)
 * checks the caller's verified claims first; refused, the field is null with
 * `UNAUTHORIZED_FIELD_OR_TYPE` at its path, a non-null one nulling its nearest nullable parent as
 * GraphQL does, the rest of the answer kept: the gateway's answer. Mutations are fields of
 * `Mutation`, so their write scopes are checked here too, and the object a mutation returns obeys
 * the read rules. Only the few guarded fields are wrapped: every other field resolves as before.
 */
export function enforceFieldRules(schema: GraphQLSchema): GraphQLSchema {
  for (const [typeName, fields] of enforcedRules(schema)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) continue;
    for (const [fieldName, rule] of fields) {
      const field = type.getFields()[fieldName]!;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context: object, info) => {
        if (!mayRead(rule, callerOf(context)))
          throw codedError('UNAUTHORIZED_FIELD_OR_TYPE', UNAUTHORIZED_FIELD_MESSAGE);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}

/**
 * The claims an office acts on. `unrestricted` (the gateway runs open: no token key, outside
 * production) is honoured only by an office that is not itself in production, so a gateway left
 * open, or a credential that leaked from one, never opens a production office.
 */
export function honouredClaims(claims: VerifiedClaims, mode: RunMode): VerifiedClaims {
  if (claims.unrestricted !== true || mode !== 'production') return claims;
  return { authenticated: claims.authenticated, subject: claims.subject, scopes: claims.scopes };
}
