// Re-checks an edited output with the field rules the IO Matcher used on the original, when the
// msg carried them (`msg.matchRules`). The review core only sees a `Recheck` function; this is
// the one place that knows the IO Matcher's entry point.
import { matchIO, type MatchRule } from '../../core/matcher';
import type { Recheck, RecheckResult, ReviewItem } from '../../core/review';

/** The IO Matcher's entry point: input data, output, options → verification. */
export type MatchFn = (inputData: unknown, output: unknown, options: { rules?: MatchRule[] }) => { match: boolean; summary: string };

export function matcherRecheck(match: MatchFn = matchIO): Recheck {
  return (edited: unknown, item: ReviewItem): RecheckResult | undefined => {
    if (item.matchRules === undefined || item.matchRules === null) return undefined;
    try {
      const v = match(item.inputData, edited, { rules: item.matchRules as MatchRule[] });
      return { ...v, match: v.match === true, summary: String(v.summary ?? '') };
    } catch (err) {
      // Rules were given, so an edit that cannot be checked does not go out.
      return { match: false, summary: `re-check failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  };
}
