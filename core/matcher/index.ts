// The IO Matcher's core: check an LLM's output against the input it was given.
export { matchIO } from './matcher';
export { MatcherInputError } from './guard';
export type { FieldStatus, FieldType, FieldVerdict, MatchOptions, MatchRule, Tolerance, Verification } from './types';
export { FIELD_TYPES } from './types';
export { rulesFromDialog, type DialogRuleRow } from './dialog-rules';
