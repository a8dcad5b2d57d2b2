import type { Command } from 'commander';
import { Core } from '../compose';
import { serveMcpOverStdio } from '../mcp-server';

/**
 * `fleetmind mcp`: Fleetmind's tools as an MCP server on stdio, for the operator's MCP
 * client (Claude Desktop, an IDE, an agent). It runs on this process's own core, like
 * `fleetmind exec` without a server: the same policy, approval queue (in the shared store,
 * so a running server and the UI list what it queues) and audit log.
 */
export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('Serve Fleetmind\'s tools to an MCP client over stdio (read tools, metrics, audit search, run_command through the safety policy)')
    .action(async () => {
      const core = new Core();
      try {
        await serveMcpOverStdio(core);
      } finally {
        await core.close();
        // The client is gone: nothing may keep this process alive behind it (a stray handle would leak it).
        setTimeout(() => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0), 2000).unref();
      }
    });
}
