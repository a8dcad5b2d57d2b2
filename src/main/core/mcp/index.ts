/**
 * core/mcp: the MCP client. External servers configured in `mcpServers` (config.yaml) are
 * connected here; their tools plug into tools/ (tools/mcp-tools.ts) as `<server>__<tool>`.
 * The MCP server face (our tools to other agents) lives beside server/ and cli/, not here.
 */
export {
  mcpClientConfig,
  McpServerEntrySchema,
  MCP_SERVER_NAME,
  describeEntry,
  specSha256,
  stableJson,
  type McpServerEntry,
  type McpClientLimits,
} from './config';
export { McpConfigFile, McpConfigError, type McpConfigRead } from './config-file';
export { McpConnection, McpCallError, type McpToolDefinition, type McpConnectionState } from './connection';
export { parseMcpImport, type McpImportResult, type McpImportFormat } from './import';
export { qualifyToolNames, TOOL_NAME } from './names';
export {
  McpClientManager,
  mcpCommandText,
  parseMcpCommandText,
  mcpPolicyVersion,
  definitionSha256,
  literalSecrets,
  type McpToolInfo,
  type McpServerStatus,
  type McpCallContext,
  type McpCallOutcome,
  type McpManagerOptions,
} from './manager';
