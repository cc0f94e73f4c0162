// "Offline (no model)": for air-gapped demos and first runs. The answer is the output template
// filled from the input data, the same every time; `provider: "offline"` and `model: "none"`
// say plainly that no model was called.
import { renderTemplate } from './prompt';
import { readableText } from './readable-text';

export const OFFLINE_PROVIDER = 'offline';
export const OFFLINE_MODEL = 'none';

/**
 * The offline answer. With no template: the input data as "Label: value" lines, or as JSON
 * when a schema asks for JSON.
 */
export function offlineAnswer(inputData: unknown, template: string | undefined, wantsJson: boolean): string {
  if (template && template.trim() !== '') return renderTemplate(template, inputData);
  if (wantsJson) return JSON.stringify(inputData ?? null);
  return readableText(inputData);
}
