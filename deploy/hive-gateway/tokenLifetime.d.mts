// Types of tokenLifetime.mjs, for the TypeScript test that holds it to our gateway's token rules.
export interface TokenLifetimeSettings {
  clockSkewSeconds: number;
  requireExp: boolean;
  maxLifetimeSeconds: number;
}
export declare function tokenLifetimeSettings(env: Record<string, string | undefined>): TokenLifetimeSettings;
export declare function lifetimeProblem(
  payload: Record<string, unknown>,
  settings: TokenLifetimeSettings,
  now?: number,
): string | undefined;
export declare function unverifiedPayload(token: string): Record<string, unknown> | undefined;
export interface Refusal {
  errors: { message: 'Unauthenticated'; extensions?: { http: { status: 401 } }; toJSON?: () => object }[];
  extensions?: { http: { status: 401 } };
}
export declare function refusal(overWebSocket: boolean): Refusal;
export declare function useTokenLifetime(options: {
  settings: TokenLifetimeSettings;
  tokenOf: (context: Record<string, unknown>) => string | undefined;
  log?: { warn(message: string): void };
}): {
  onParams(payload: {
    context: { jwt?: { payload: Record<string, unknown> }; [key: string]: unknown };
    setResult(result: object): void;
  }): void;
};
