// Structured data as a person reads it: one "Label: value" line per field, the form the LLM
// operations diagram shows (Product: Laptop / Quantity: 5 / Shipping: Free) and the IO Matcher
// reads back.

/** `unitPrice` → `Unit price`, `shipping_method` → `Shipping method`. */
export function labelFor(key: string): string {
  const words = key
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function valueText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function readableText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return data.map((item) => readableText(item)).join('\n\n');
  if (typeof data === 'object' && data !== null) {
    return Object.entries(data as Record<string, unknown>)
      .map(([k, v]) => `${labelFor(k)}: ${valueText(v)}`)
      .join('\n');
  }
  return valueText(data);
}
