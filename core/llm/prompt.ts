// The input text: a mustache template over what came in. Values go in as written: a prompt is
// not HTML, and "Shipping: Free & insured" must reach the model unchanged.
import Mustache from 'mustache';
import { readableText } from './readable-text';

export interface ContextValues {
  flow?: Record<string, unknown>;
  global?: Record<string, unknown>;
}

const noEscape = (value: string): string => value;

/** Renders `template` with the fields of `data` at the top level, plus `payload`, `flow.*`, `global.*`. */
export function renderTemplate(template: string, data: unknown, context: ContextValues = {}): string {
  const view: Record<string, unknown> = isPlainObject(data) ? { ...data } : {};
  view.payload = data;
  view.flow = context.flow ?? {};
  view.global = context.global ?? {};
  try {
    return Mustache.render(template, view, undefined, { escape: noEscape });
  } catch (err) {
    // A template error (an unclosed tag) is the template's; anything else is a value mustache cannot
    // write as text: an object without a prototype, a BigInt in a section, a getter that throws.
    if (err instanceof Error && /Unclosed|Unopened|tag/i.test(err.message)) throw err;
    throw new Error('the template could not write a value of the input as text: give it text, numbers or JSON data (an object without a prototype, a BigInt, a function or a getter that throws cannot be written)', { cause: err });
  }
}

/** The input text when no template is set: the data itself, readable by a person. */
export function defaultInputText(data: unknown): string {
  return typeof data === 'string' ? data : readableText(data);
}

/**
 * Names of the flow and global context values a template refers to (`{{flow.limit}}` → flow
 * `limit`), so a node can fetch just those before rendering.
 */
export function contextKeysIn(template: string): { flow: string[]; global: string[] } {
  const found = { flow: new Set<string>(), global: new Set<string>() };
  const walk = (tokens: any[]) => {
    for (const t of tokens) {
      const [type, name, , , children] = t;
      if (type === 'name' || type === '&' || type === '#' || type === '^') {
        const m = /^(flow|global)\.([^.]+)/.exec(String(name));
        if (m) found[m[1] as 'flow' | 'global'].add(m[2]);
      }
      if (Array.isArray(children)) walk(children);
    }
  };
  walk(Mustache.parse(template));
  return { flow: [...found.flow], global: [...found.global] };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
