// Guesses a field's type from the value that went into the model, for fields without a rule.

import { parseDate } from './dates';
import { scanMentions } from './mentions';
import { fold, unwrap } from './text-fold';
import type { FieldType } from './types';

const BOOLEAN_TEXT = new Set(['yes', 'no', 'true', 'false']);

export function inferType(value: unknown): FieldType {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return 'number';
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if ('value' in o && 'unit' in o) return 'quantity';
    if ('amount' in o && 'currency' in o) return 'currency';
    return 'text';
  }
  if (typeof value !== 'string') return 'text';
  const text = unwrap(value);
  if (BOOLEAN_TEXT.has(fold(text))) return 'boolean';
  if (parseDate(text)) return 'date';
  const mentions = scanMentions(text, { booleans: false });
  // Only a value that is one typed mention and little else: "40 L/min", "$5.00", "Free", "1,200".
  if (mentions.length === 1) {
    const m = mentions[0];
    const rest = (text.slice(0, m.start) + text.slice(m.end)).replace(/[\s.,;:()]/g, '');
    if (rest.length <= 2) {
      if (m.kind === 'currency') return 'currency';
      if (m.kind === 'quantity' && m.measure) return 'quantity';
      if (m.kind === 'number') return 'number';
    }
  }
  return 'text';
}
