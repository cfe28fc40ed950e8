export { parseGatewayConfig, type GatewayConfig } from './config.js';
export { buildGateway, type GatewayApp } from './server.js';
