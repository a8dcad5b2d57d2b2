import type { GatherResult } from '../fleet';
import { mergeSpecs, type Aspect } from './aspects';
import type { HostToolContext } from './tool';

/** Gathers several aspects in one request to the host and interprets each. */
export async function aspectsInterpret<A extends Record<string, Aspect<unknown>>>(
  ctx: HostToolContext,
  aspects: A,
): Promise<[{ [K in keyof A]: A[K] extends Aspect<infer T> ? T : never }, GatherResult]> {
  const gathered = await ctx.gather(mergeSpecs(Object.values(aspects)));
  const facts = Object.fromEntries(Object.entries(aspects).map(([k, a]) => [k, a.interpret(gathered)]));
  return [facts as { [K in keyof A]: A[K] extends Aspect<infer T> ? T : never }, gathered];
}
