import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createFleetMcpServer, type McpBackend } from './fleet-mcp-server';

/**
 * `fleetmind mcp`: the MCP server on stdin/stdout for the operator's own MCP client
 * (Claude Desktop, an IDE). Whoever can start this process can already run `fleetmind`
 * as the operator, so the caller has the operator's MCP rights: read tools, run_command
 * (the safety policy still judges every command; what it asks about waits for a decision
 * in Fleetmind), approval_status and audit_search. stdout carries only JSON-RPC; logs go
 * to stderr. Resolves when the client closes stdin (or on SIGINT/SIGTERM): in-flight tool
 * calls are aborted, which stops the commands they started.
 */
export async function serveMcpOverStdio(backend: McpBackend, io: { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream } = {}): Promise<void> {
  const stdin = (io.stdin ?? process.stdin) as NodeJS.ReadStream;
  const stdout = (io.stdout ?? process.stdout) as NodeJS.WriteStream;
  const server = createFleetMcpServer(backend, { requester: 'mcp:stdio', operator: true, fullOperator: true, redactSecrets: false, informByElicitation: true });
  const transport = new StdioServerTransport(stdin, stdout);
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let closing = false;
  const close = (): void => {
    if (closing) return;
    closing = true;
    // Closing the server aborts every running handler's signal: their commands are killed.
    void server.close().finally(finish);
  };
  transport.onclose = close;
  stdin.once('end', close);
  stdin.once('close', close);
  // A client that went away leaves a broken pipe; that ends the session, it is not a crash.
  stdout.on('error', close);
  process.once('SIGINT', close);
  process.once('SIGTERM', close);
  await server.connect(transport);
  await finished;
  process.removeListener('SIGINT', close);
  process.removeListener('SIGTERM', close);
}
