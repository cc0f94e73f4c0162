#!/usr/bin/env node
// Builds what Node-RED loads: compiles the TypeScript into dist/, then puts each registered
// node's editor HTML, the icons and that node's message catalogue and help beside its .js
// file, because Node-RED's loader looks for them there (icons/ and locales/<lang>/<name>.*
// next to the registered file). Sources stay where a reader expects them: nodes/<folder>/,
// icons/, locales/.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const pkg = require(path.join(root, 'package.json'));

function compile() {
  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  } catch {
    // An installed copy of the published package has dist/ already and no TypeScript.
    if (fs.existsSync(path.join(root, 'dist'))) return;
    console.error('build: TypeScript is not installed and dist/ is missing; run npm install first');
    process.exit(1);
  }
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);
}

function copyIfExists(from, to) {
  if (!fs.existsSync(from)) return false;
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
  return true;
}

function copyDir(from, to) {
  if (!fs.existsSync(from)) return;
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyDir(src, dst);
    else fs.copyFileSync(src, dst);
  }
}

function placeEditorFiles() {
  const nodes = (pkg['node-red'] && pkg['node-red'].nodes) || {};
  const langs = fs.existsSync(path.join(root, 'locales')) ? fs.readdirSync(path.join(root, 'locales')) : [];
  const dirsWithIcons = new Set();
  for (const [type, js] of Object.entries(nodes)) {
    // dist/nodes/<folder>/<base>.js  <-  nodes/<folder>/<base>.ts + .html
    const rel = path.relative('dist', js);
    const base = path.basename(rel, '.js');
    const srcDir = path.join(root, path.dirname(rel));
    const outDir = path.join(root, path.dirname(js));
    if (!copyIfExists(path.join(srcDir, base + '.html'), path.join(outDir, base + '.html'))) {
      console.error(`build: ${type} has no editor file ${path.join(path.dirname(rel), base + '.html')}`);
      process.exit(1);
    }
    for (const lang of langs) {
      for (const ext of ['.json', '.html']) {
        copyIfExists(path.join(root, 'locales', lang, base + ext), path.join(outDir, 'locales', lang, base + ext));
      }
    }
    if (!dirsWithIcons.has(outDir)) {
      copyDir(path.join(root, 'icons'), path.join(outDir, 'icons'));
      dirsWithIcons.add(outDir);
    }
  }
}

compile();
placeEditorFiles();
