import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';

const ModelInfoSchema = z
  .object({
    contextWindow: z.number().int().positive(),
    maxOutputTokens: z.number().int().positive().optional(),
    inputPerMillion: z.number().nonnegative().default(0),
    cachedInputPerMillion: z.number().nonnegative().optional(),
    outputPerMillion: z.number().nonnegative().default(0),
  })
  .strict();
export type ModelInfo = z.infer<typeof ModelInfoSchema> & { maxOutputTokens: number };

const CatalogFileSchema = z
  .object({
    default: z.object({ contextWindow: z.number().int().positive(), maxOutputTokens: z.number().int().positive() }).strict(),
    models: z.record(z.string(), ModelInfoSchema).default({}),
  })
  .strict();

export interface TokenCounts {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

/** Context windows and prices per model, from resources/models.yaml plus an optional user file. */
export class ModelCatalog {
  private readonly models = new Map<string, ModelInfo>();
  private fallback = { contextWindow: 8192, maxOutputTokens: 2048 };
  private loaded = false;

  /** Files are read on first use: the offline engine never needs prices. */
  constructor(private readonly files: readonly string[]) {}

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    const { parse: parseYaml } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    let fallback = this.fallback;
    for (const file of this.files) {
      if (!existsSync(file)) continue;
      const parsed = CatalogFileSchema.safeParse(parseYaml(readFileSync(file, 'utf8')));
      if (!parsed.success) {
        throw new Error(`model catalog ${file} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
      fallback = parsed.data.default;
      for (const [name, info] of Object.entries(parsed.data.models)) {
        this.models.set(name, { ...info, maxOutputTokens: info.maxOutputTokens ?? fallback.maxOutputTokens });
      }
    }
    this.fallback = fallback;
  }

  /** Exact name, else the longest known prefix ("gpt-4o-2024-08-06" → gpt-4o), else the default. */
  info(model: string): ModelInfo & { known: boolean } {
    this.load();
    const exact = this.models.get(model);
    if (exact) return { ...exact, known: true };
    const prefix = [...this.models.keys()].filter((k) => model.startsWith(k)).sort((a, b) => b.length - a.length)[0];
    if (prefix) return { ...(this.models.get(prefix) as ModelInfo), known: true };
    return { ...this.fallback, inputPerMillion: 0, outputPerMillion: 0, known: false };
  }

  costUsd(model: string, tokens: TokenCounts): number {
    const info = this.info(model);
    const cached = Math.min(tokens.cachedTokens, tokens.promptTokens);
    const cachedRate = info.cachedInputPerMillion ?? info.inputPerMillion;
    return ((tokens.promptTokens - cached) * info.inputPerMillion + cached * cachedRate + tokens.completionTokens * info.outputPerMillion) / 1_000_000;
  }
}
