// The public shapes of the IO Matcher: rules a user writes, and the verdict the node puts on
// msg.verification (ARCHITECTURE.md: {match, score, summary, fields:[...]}).

export const FIELD_TYPES = ['text', 'number', 'currency', 'boolean', 'enum', 'date', 'quantity'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** How far a number may drift and still count as the same value. */
export interface Tolerance {
  abs?: number;
  /** Relative to the expected value: 0.01 = 1 %. */
  rel?: number;
}

/** Synonyms of enum (or text) values: canonical value → other spellings of it. */
export type Synonyms = Record<string, string[]> | string[][];

export interface MatchRule {
  field: string;
  type?: FieldType;
  aliases?: string[];
  tolerance?: Tolerance;
  /** Unit to compare quantities in (and to assume for a bare number), e.g. "l/min", "°C". */
  unit?: string;
  synonyms?: Synonyms;
  /** Default true. A missing optional field does not fail the match; a wrong one does. */
  required?: boolean;
}

export type FieldStatus = 'match' | 'mismatch' | 'missing' | 'extra' | 'unverifiable';

export interface FieldVerdict {
  field: string;
  expected: unknown;
  actual: unknown;
  status: FieldStatus;
  /** One sentence a person reads: "quantity: expected 5, output says 50". */
  reason: string;
}

/** How the output was read, so a person can see why a field was or was not found. */
export type OutputFormat = 'object' | 'json' | 'table' | 'lines' | 'prose';

export interface Verification {
  match: boolean;
  /** Fraction of checked fields that match, 0..1. */
  score: number;
  /** Fields that fail the match (mismatch, missing, unverifiable, and extra in strict mode). */
  mismatches: number;
  summary: string;
  fields: FieldVerdict[];
  format: OutputFormat;
  strict: boolean;
}

export interface MatchOptions {
  rules?: MatchRule[];
  /** Fields in the output that the input does not have fail the match. */
  strict?: boolean;
  /** Largest output text accepted, in UTF-16 code units (default 1 MiB). */
  maxTextLength?: number;
}
