import type { RunMode } from '@cip/core';
import type { GatewayContext } from '../context.js';
import type { ExplorerSettings } from './config.js';

/**
 * Who may use a development aid (the explorer page, query plans):
 * - `on`: everyone who can reach the gateway;
 * - `off`: no one;
 * - `analysts`: only requests the analyst check accepts (an authenticated analyst).
 */
export type AccessMode = 'on' | 'off' | 'analysts';

/**
 * Whether a request comes from an authenticated analyst. The security concern (issue 3) supplies
 * the real check once `context.auth` exists; until then no one is an analyst, so `analysts` mode
 * fails closed.
 */
export type AnalystCheck = (context: GatewayContext) => boolean | Promise<boolean>;

export const nobodyIsAnAnalyst: AnalystCheck = () => false;

type AccessSettings = Pick<ExplorerSettings, 'explorer' | 'queryPlans'>;

/** The explorer page: on in development and test, off in production unless EXPLORER says otherwise. */
export function explorerMode(settings: AccessSettings, mode: RunMode): AccessMode {
  return settings.explorer ?? (mode === 'production' ? 'off' : 'on');
}

/**
 * Query plans on request: on in development and test; in production only for analysts unless
 * QUERY_PLANS says otherwise. Never sent to anyone who did not ask for them.
 */
export function queryPlanMode(settings: AccessSettings, mode: RunMode): AccessMode {
  return settings.queryPlans ?? (mode === 'production' ? 'analysts' : 'on');
}

export async function mayAccess(mode: AccessMode, context: GatewayContext, isAnalyst: AnalystCheck): Promise<boolean> {
  switch (mode) {
    case 'on':
      return true;
    case 'off':
      return false;
    case 'analysts':
      return await isAnalyst(context);
  }
}
