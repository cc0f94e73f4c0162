// Re-checks an edited output with the field rules the IO Matcher used on the original, when the
// msg carried them (`msg.matchRules`). The review core only sees a `Recheck` function, so it
// does not depend on how the matcher works inside.
import type { Recheck, RecheckResult, ReviewItem } from '../../core/review';

/** The IO Matcher's entry point: input data, output, options → verification. */
export type MatchFn = (inputData: unknown, output: unknown, options: { rules?: unknown }) => { match: boolean; summary: string };

/** The IO Matcher core, when this installation has it. */
export function loadMatcher(): MatchFn | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../../core/matcher') as Record<string, unknown>;
    const fn = mod.matchOutput ?? mod.match ?? mod.verify;
    return typeof fn === 'function' ? (fn as MatchFn) : undefined;
  } catch {
    return undefined;
  }
}

export function matcherRecheck(match: MatchFn | undefined): Recheck {
  return (edited: unknown, item: ReviewItem): RecheckResult | undefined => {
    if (item.matchRules === undefined || item.matchRules === null) return undefined;
    if (!match) {
      // Rules were given, so the edit must be checked; without the matcher it cannot be.
      return { match: false, summary: 'the IO Matcher is not available to re-check the edit' };
    }
    try {
      const v = match(item.inputData, edited, { rules: item.matchRules });
      return { ...v, match: v.match === true, summary: String(v.summary ?? '') };
    } catch (err) {
      return { match: false, summary: `re-check failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  };
}
