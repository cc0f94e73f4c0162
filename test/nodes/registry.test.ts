// Every node the package registers must be complete: an edit dialog, help text, an icon, a
// message catalogue holding every key its dialog uses, and a palette category of the suite.
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const registered: Record<string, string> = pkg['node-red'].nodes;
const CATEGORIES = ['LLM Ops', 'Energy', 'Cooling', 'config'];

function lookup(obj: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

describe('every registered node type is complete', () => {
  it('registers at least the foundation nodes, each named llmops-*', () => {
    assert.ok(Object.keys(registered).includes('llmops-sensor'));
    assert.ok(Object.keys(registered).includes('llmops-influxdb'));
    for (const type of Object.keys(registered)) assert.match(type, /^llmops-[a-z0-9-]+$/);
  });

  for (const [type, js] of Object.entries(registered)) {
    describe(type, () => {
      const rel = path.relative('dist', js);
      const base = path.basename(rel, '.js');
      const html = path.join(root, path.dirname(rel), base + '.html');
      const editor = fs.existsSync(html) ? fs.readFileSync(html, 'utf8') : '';
      const catalogueFile = path.join(root, 'locales', 'en-US', base + '.json');

      it('has its runtime source beside the dialog', () => {
        assert.ok(fs.existsSync(path.join(root, path.dirname(rel), base + '.ts')), `${base}.ts`);
      });

      it('has an edit dialog that registers it in a suite category', () => {
        assert.ok(editor.includes(`registerType('${type}'`), `${html} registers ${type}`);
        assert.ok(editor.includes(`data-template-name="${type}"`), 'dialog template');
        const category = /category:\s*'([^']+)'/.exec(editor)?.[1];
        assert.ok(category && CATEGORIES.includes(category), `category ${category}`);
      });

      it('has an icon that exists (unless it is a config node)', () => {
        if (/category:\s*'config'/.test(editor)) return;
        const icon = /icon:\s*'([^']+)'/.exec(editor)?.[1];
        assert.ok(icon, 'icon named in the dialog');
        assert.ok(fs.existsSync(path.join(root, 'icons', icon!)), `icons/${icon}`);
      });

      it('has help text in en-US', () => {
        const help = path.join(root, 'locales', 'en-US', base + '.html');
        assert.ok(fs.existsSync(help), help);
        const text = fs.readFileSync(help, 'utf8');
        assert.ok(text.includes(`data-help-name="${type}"`));
        assert.ok(text.replace(/<[^>]+>/g, '').trim().length > 200, 'help says something');
      });

      it('has a message catalogue holding every key its dialog uses', () => {
        assert.ok(fs.existsSync(catalogueFile), catalogueFile);
        const catalogue = JSON.parse(fs.readFileSync(catalogueFile, 'utf8'));
        const keys = [...editor.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)].map((m) => m[1]).concat([...editor.matchAll(/this\._\('([^']+)'\)/g)].map((m) => m[1]));
        for (const key of keys) {
          if (key.startsWith('common.') || key.startsWith('node-red:')) continue;
          assert.equal(typeof lookup(catalogue, key), 'string', `catalogue key ${key}`);
        }
      });
    });
  }
});
