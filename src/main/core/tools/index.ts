import { diskUsageTool } from './disk-usage';
import { listHostsTool } from './list-hosts';
import { runCommandTool } from './run-command';
import { readFileTool } from './read-file';
import { memoryTool } from './memory';
import { metricsQueryTool } from './metrics-query';
import { networkInfoTool } from './network-info';
import { recentLoginsTool } from './recent-logins';
import { serverStatusTool } from './server-status';
import { servicesTool } from './services';
import { tailLogsTool } from './tail-logs';
import { topProcessesTool } from './top-processes';
import type { ToolDefinition } from './tool';

export type { ToolDefinition, ToolKind, ToolOutput, HostTool, FleetTool, HostToolContext, MetricsPort, ExternalTool, ExternalToolContext, ExternalToolResult } from './tool';
export { defineHostTool, defineFleetTool } from './tool';
export { ToolRegistry, ToolRunner, type ToolSchema, type ToolCallOptions, type ToolCallOutcome, type ApprovalRequester } from './registry';
export { runCommandTool } from './run-command';
export { toolsConfig } from './config';
export { mcpToolDefinitions } from './mcp-tools';
export { formatBytes, formatDuration } from './format';

/** The core agent tools (DESIGN: stable names and arguments). */
export const coreTools: readonly ToolDefinition[] = [
  serverStatusTool,
  diskUsageTool,
  memoryTool,
  topProcessesTool,
  servicesTool,
  networkInfoTool,
  tailLogsTool,
  readFileTool,
  recentLoginsTool,
  metricsQueryTool,
  listHostsTool,
  runCommandTool,
] as readonly ToolDefinition[];
