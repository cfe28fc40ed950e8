export { ConfigError, envVar, parseEnv, type Env } from './config.js';
export { badUserInput, codedError, errorCodes, isErrorCode, type ErrorCode } from './errors.js';
export {
  HttpError,
  close,
  graphqlHandler,
  listen,
  readBody,
  routes,
  sendError,
  sendJson,
  type GraphQLHandlerOptions,
  type RequestHandler,
} from './http.js';
export { createLogger, drainConnections, exitOnStartupError, stopOnSignal, type Logger } from './lifecycle.js';
export { offlinePlugins } from './apollo.js';
export {
  ANONYMOUS_CLAIMS,
  GATEWAY_CLAIMS_HEADER,
  GATEWAY_SIGNATURE_HEADER,
  SIGNATURE_MAX_AGE_MS,
  decodeClaims,
  encodeClaims,
  processSigningSecret,
  signGatewayRequest,
  verifyGatewaySignature,
  type VerifiedClaims,
} from './gatewaySignature.js';
export { boundedOperationLabel } from './operationLabel.js';
