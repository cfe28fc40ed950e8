/**
 * A GraphQL response serialized for comparison between executors: key order counts (clients see
 * it), the order of errors does not. Stock pushes errors as parallel fetches complete, so even two
 * stock runs may list the same errors in another order; GraphQL leaves that order open.
 */
export function canonicalResponse(response: unknown): string {
  if (response === null || typeof response !== 'object' || !('errors' in response)) return JSON.stringify(response);
  const { errors, ...rest } = response as { errors?: unknown };
  if (!Array.isArray(errors)) return JSON.stringify(response);
  const sorted = (errors as unknown[])
    .map((error) => JSON.stringify(error))
    .sort()
    .map((error) => JSON.parse(error) as unknown);
  return JSON.stringify({ ...rest, errors: sorted });
}
