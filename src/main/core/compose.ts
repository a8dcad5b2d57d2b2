import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import pino, { type Logger } from 'pino';
import type { ChatRequest, ChatResponse, ConversationDetail, ConversationList, Health } from '../../shared/protocol';
import { ChatService, OfflineEngine } from './agent';
import { Config, type ConfigSources } from './config';
import { Fleet, Inventory } from './fleet';
import { ReadOnlyAllowlistPolicy, SafetyGate } from './safety';
import type { ChatOptions, CoreFacade } from './services';
import { Store } from './store';
import { coreTools, ToolRegistry, ToolRunner } from './tools';
import { FLEETMIND_VERSION } from './version';

export interface CoreOptions extends ConfigSources {
  logger?: Logger;
}

/**
 * The composition root shared by every face: plain classes wired by constructor.
 * Faces (HTTP server, CLI, Electron) get a CoreFacade and never build services themselves.
 */
export class Core implements CoreFacade {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: Store;
  readonly gate: SafetyGate;
  readonly inventory: Inventory;
  readonly fleet: Fleet;
  readonly tools: ToolRunner;
  readonly chatService: ChatService;
  private readonly startedAt = performance.now();

  constructor(options: CoreOptions = {}) {
    this.config = new Config(options);
    this.logger = options.logger ?? pino({ level: process.env.FLEETMIND_LOG_LEVEL ?? 'warn' }, pino.destination(2));
    this.store = Store.open(this.config.paths.dataDir);
    this.gate = new SafetyGate(new ReadOnlyAllowlistPolicy());
    this.inventory = new Inventory(this.store.hosts);
    this.fleet = new Fleet(this.inventory, this.gate);
    this.tools = new ToolRunner(new ToolRegistry(coreTools), this.fleet);
    this.chatService = new ChatService(this.store.conversations, this.inventory, new OfflineEngine(this.tools, this.inventory));
  }

  chat(request: ChatRequest, options: ChatOptions = {}): Promise<ChatResponse> {
    return this.chatService.chat(request, options);
  }

  listConversations(): ConversationList {
    return { conversations: this.store.conversations.list() };
  }

  getConversation(id: string): ConversationDetail | null {
    return this.store.conversations.detail(id);
  }

  health(): Health {
    return {
      ok: this.store.db.open,
      version: FLEETMIND_VERSION,
      engine: this.chatService.engineKind,
      uptimeMs: performance.now() - this.startedAt,
      hostname: hostname(),
      dataDir: this.config.paths.dataDir,
    };
  }

  async close(): Promise<void> {
    await this.fleet.close();
    this.store.close();
  }
}
