import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';

export type SyntaxNode = Node;

export class BashGrammarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BashGrammarError';
  }
}

/**
 * Finds tree-sitter-bash.wasm through Node's module resolution, so the same code works
 * from the sources (vitest) and from the bundle in out/main, where web-tree-sitter and
 * tree-sitter-bash stay external packages in node_modules.
 */
export function resolveBashGrammarWasm(): string {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve('tree-sitter-bash/package.json');
  } catch (err) {
    throw new BashGrammarError(`the tree-sitter-bash package is not installed: ${(err as Error).message}`);
  }
  const wasm = join(dirname(packageJson), 'tree-sitter-bash.wasm');
  if (!existsSync(wasm)) throw new BashGrammarError(`tree-sitter-bash.wasm is missing from ${dirname(packageJson)}`);
  return wasm;
}

let languagePromise: Promise<Language> | null = null;

/** Loads the wasm runtime and grammar once per process; later calls share the result. */
function loadBashLanguage(wasmPath?: string): Promise<Language> {
  if (!languagePromise) {
    languagePromise = (async () => {
      await Parser.init();
      return Language.load(wasmPath ?? resolveBashGrammarWasm());
    })();
    languagePromise.catch(() => {
      languagePromise = null;
    });
  }
  return languagePromise;
}

/** A synchronous bash parser once created; trees must be released with `delete()`. */
export class BashParser {
  private constructor(private readonly parser: Parser) {}

  static async create(options: { wasmPath?: string } = {}): Promise<BashParser> {
    const language = await loadBashLanguage(options.wasmPath);
    const parser = new Parser();
    parser.setLanguage(language);
    return new BashParser(parser);
  }

  /** Parses `source` and hands the tree to `use`; the tree is freed afterwards (wasm memory is not garbage collected). */
  withTree<T>(source: string, use: (root: SyntaxNode) => T): T {
    const tree: Tree | null = this.parser.parse(source);
    if (!tree) throw new BashGrammarError('the bash parser returned no tree');
    try {
      return use(tree.rootNode);
    } finally {
      tree.delete();
    }
  }
}
