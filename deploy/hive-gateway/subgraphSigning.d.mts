// Types of subgraphSigning.mjs, for the TypeScript test that proves it agrees with @cip/core.
export declare const GATEWAY_SIGNATURE_HEADER: 'x-gateway-signature';
export declare const GATEWAY_CLAIMS_HEADER: 'x-gateway-claims';
/** `transportEntries` `subscriptions.headers`: the signed upgrade headers, interpolated per subscription. */
export declare const OFFICE_UPGRADE_HEADERS: [string, string][];
export type ScopesOf = (payload: Record<string, unknown>) => string[];
export declare function encodeClaims(payload: Record<string, unknown> | undefined, scopesOf: ScopesOf): string;
export declare function deriveOfficeKey(master: string, office: string): string;
export interface OfficeRequest {
  audience: string;
  method: string;
  path: string;
  claims: string;
  body: string;
}
export declare function signOfficeRequest(key: string, request: OfficeRequest, now?: number, id?: string): string;
export declare function scopesIn(claim: string): ScopesOf;
export interface GatewaySignatureOptions {
  secret: string;
  scopesOf: ScopesOf;
  propagateHeaders?: string[];
}
export declare function useGatewaySignature(options: GatewaySignatureOptions): {
  onSubgraphExecute(payload: {
    subgraphName: string;
    executionRequest?: {
      [key: string]: unknown;
      operationType?: string;
      rootValue?: Record<string, unknown>;
      context?: { jwt?: { payload: Record<string, unknown> } };
    };
    transportEntry?: { location?: string };
    setExecutionRequest(executionRequest: object): void;
  }): void;
  onFetch(payload: {
    context?: { request?: Request; jwt?: { payload: Record<string, unknown> } };
    /** Set when the fetch executes an operation on a subgraph. */
    executionRequest?: object;
    url: string;
    options: { method?: string; headers?: HeadersInit; body?: unknown };
    setOptions(options: { method?: string; headers?: HeadersInit; body?: unknown }): void;
  }): void;
};
