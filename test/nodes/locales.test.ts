// Every node's message catalogue and help exist in the languages Node-RED itself ships besides
// en-US (de, ja, zh-CN), and stay in step with en-US: the same keys, the same __placeholders__
// in each message, and help registered for the same node type. A key added to en-US without its
// translations fails here, naming the file and the key.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const locales = path.resolve(__dirname, '../../locales');
const LANGS = ['de', 'ja', 'zh-CN'];
const BASE = 'en-US';

/** Flattens a catalogue into dotted keys → message. */
function flatten(obj: unknown, prefix = '', out: Map<string, string> = new Map()): Map<string, string> {
  if (typeof obj === 'string') out.set(prefix, obj);
  else if (obj && typeof obj === 'object') {
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, String(obj));
  return out;
}

/** The __name__ placeholders i18next fills in, sorted; duplicates count once. */
function placeholders(message: string): string[] {
  return [...new Set([...message.matchAll(/__([A-Za-z0-9_]+?)__/g)].map((m) => m[1]))].sort();
}

/** Code and markup a translator must not touch: tags, <code> spans and msg.* property paths. */
function untranslatable(message: string): string[] {
  const tags = [...message.matchAll(/<\/?([a-z0-9]+)/gi)].map((m) => m[1].toLowerCase());
  const code = [...message.matchAll(/<code>([^<]*)<\/code>/g)].map((m) => `code:${m[1]}`);
  const msgProps = [...message.matchAll(/\bmsg\.[A-Za-z_][A-Za-z0-9_.]*/g)].map((m) => m[0].replace(/\.$/, ''));
  return [...tags, ...code, ...msgProps].sort();
}

function helpTypes(html: string): string[] {
  return [...html.matchAll(/data-help-name="([^"]+)"/g)].map((m) => m[1]).sort();
}

/**
 * The help's skeleton: the number of sections, and the message properties (a <dt> with a
 * property-type), whose names and types are code and stay as they are. Dialog labels in a <dt>
 * without a type are translated like the dialog.
 */
function helpShape(html: string): { sections: number; properties: string[] } {
  const text = (s: string) => s.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  return {
    sections: (html.match(/<h3>/g) ?? []).length,
    properties: [...html.matchAll(/<dt[^>]*>([\s\S]*?)<\/dt>/g)]
      .filter((m) => m[1].includes('property-type'))
      .map((m) => text(m[1]))
      .sort(),
  };
}

const catalogues = fs.readdirSync(path.join(locales, BASE)).filter((f) => f.endsWith('.json')).sort();

describe('message catalogues and help in de, ja and zh-CN', () => {
  it('finds the en-US catalogues', () => {
    assert.ok(catalogues.length > 0);
  });

  for (const file of catalogues) {
    const name = file.replace(/\.json$/, '');
    const base = flatten(JSON.parse(fs.readFileSync(path.join(locales, BASE, file), 'utf8')));
    const baseHelp = fs.readFileSync(path.join(locales, BASE, `${name}.html`), 'utf8');

    for (const lang of LANGS) {
      describe(`${lang}/${name}`, () => {
        const catalogueFile = path.join(locales, lang, file);
        const helpFile = path.join(locales, lang, `${name}.html`);
        const read = () => flatten(JSON.parse(fs.readFileSync(catalogueFile, 'utf8')));

        it('has a catalogue with exactly the en-US keys', () => {
          assert.ok(fs.existsSync(catalogueFile), `missing ${path.relative(locales, catalogueFile)}`);
          const keys = [...read().keys()].sort();
          const want = [...base.keys()].sort();
          assert.deepEqual(
            { missing: want.filter((k) => !keys.includes(k)), extra: keys.filter((k) => !want.includes(k)) },
            { missing: [], extra: [] },
          );
        });

        it('keeps the placeholders, markup and msg properties of every message', () => {
          if (!fs.existsSync(catalogueFile)) assert.fail(`missing ${path.relative(locales, catalogueFile)}`);
          const translated = read();
          for (const [key, message] of base) {
            const t = translated.get(key);
            if (t === undefined) continue; // reported by the key test
            assert.deepEqual(placeholders(t), placeholders(message), `${lang}/${file} ${key}: placeholders`);
            assert.deepEqual(untranslatable(t), untranslatable(message), `${lang}/${file} ${key}: markup or msg properties`);
          }
        });

        it('translates the messages rather than copying them', () => {
          if (!fs.existsSync(catalogueFile)) assert.fail(`missing ${path.relative(locales, catalogueFile)}`);
          const translated = read();
          // Short labels (units, product names, "TTFT") may well stay as they are; prose may not.
          const prose = [...base].filter(([, m]) => m.replace(/<[^>]+>|__\w+__|`[^`]*`|msg\.[\w.]+/g, '').split(/\s+/).filter((w) => /^[A-Za-z]{3,}$/.test(w)).length >= 4);
          const copied = prose.filter(([k, m]) => translated.get(k) === m).map(([k]) => k);
          assert.deepEqual(copied, [], `${lang}/${file}: English left in place`);
        });

        it('has help for the same node types', () => {
          assert.ok(fs.existsSync(helpFile), `missing ${path.relative(locales, helpFile)}`);
          const help = fs.readFileSync(helpFile, 'utf8');
          assert.deepEqual(helpTypes(help), helpTypes(baseHelp));
          assert.deepEqual(helpShape(help), helpShape(baseHelp), 'sections and message properties as in en-US');
          assert.ok(help.replace(/<[^>]+>/g, '').trim().length > 100, 'help says something');
        });
      });
    }
  }
});
