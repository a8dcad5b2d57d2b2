export { createFleetMcpServer, type McpBackend, type McpCaller } from './fleet-mcp-server';
export { serveMcpOverStdio } from './stdio';
