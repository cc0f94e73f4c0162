// Models wrap JSON in fences, preface it with prose ("Sure! Here is the JSON:") or think aloud
// first (<think>…</think>). We take the first complete JSON value out of such an answer, then
// hold it to the user's schema.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

export type Extracted = { ok: true; value: unknown } | { ok: false; reason: string };

export function extractJson(answer: string): Extracted {
  const text = answer.replace(/<think>[\s\S]*?<\/think>/gi, '').trim();
  if (text === '') return { ok: false, reason: 'the answer is empty' };
  const whole = tryParse(text);
  if (whole.ok) return whole;
  for (const fenced of text.matchAll(/```[a-zA-Z0-9_-]*[ \t]*\r?\n?([\s\S]*?)```/g)) {
    const r = tryParse(fenced[1].trim());
    if (r.ok) return r;
  }
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '{' && text[i] !== '[') continue;
    const end = matchingClose(text, i);
    if (end < 0) continue;
    const r = tryParse(text.slice(i, end + 1));
    if (r.ok) return r;
  }
  return { ok: false, reason: 'no JSON object or array found in the answer' };
}

function tryParse(s: string): Extracted {
  try {
    return { ok: true, value: JSON.parse(s) };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/** Index of the bracket closing the one at `start`, skipping brackets inside strings; -1 if none. */
function matchingClose(s: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') stack.push('}');
    else if (c === '[') stack.push(']');
    else if (c === '}' || c === ']') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new Map<string, ValidateFunction>();

/** Compiles (once per distinct schema) and returns the validator; throws on an invalid schema. */
export function validatorFor(schema: object): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = compiled.get(key);
  if (!v) {
    v = ajv.compile(schema);
    if (compiled.size > 200) compiled.clear();
    compiled.set(key, v);
  }
  return v;
}

/** Validation errors in words a model (and a person) can act on. */
export function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath === '' ? 'the answer' : e.instancePath;
    if (e.keyword === 'required') return `${where} is missing the required property "${(e.params as any).missingProperty}"`;
    if (e.keyword === 'additionalProperties') return `${where} has a property not allowed by the schema: "${(e.params as any).additionalProperty}"`;
    return `${where} ${e.message ?? 'is invalid'}`;
  });
}
