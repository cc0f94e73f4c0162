// Prepares a Node-RED user directory that loads this suite from the working tree, the way
// `npm install <folder>` would: a link in <userDir>/node_modules. Used by `npm start` and by
// the tests that run Node-RED as a real process.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');

function linkSuite(userDir, extraModules = []) {
  const modules = path.join(userDir, 'node_modules');
  fs.mkdirSync(modules, { recursive: true });
  const link = (name, target) => {
    const at = path.join(modules, ...name.split('/'));
    fs.mkdirSync(path.dirname(at), { recursive: true });
    try {
      if (fs.readlinkSync(at) === target) return;
      fs.rmSync(at, { force: true, recursive: true });
    } catch {
      fs.rmSync(at, { force: true, recursive: true });
    }
    fs.symlinkSync(target, at, 'dir');
  };
  link('node-red-contrib-llmops', root);
  const deps = { 'node-red-contrib-llmops': 'file:' + root };
  for (const name of extraModules) {
    const target = path.join(root, 'node_modules', ...name.split('/'));
    if (fs.existsSync(target)) {
      link(name, target);
      deps[name] = '*';
    }
  }
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'llmops-userdir', private: true, dependencies: deps }, null, 2));
}

/** settings.js from a plain object; functions are not needed for our settings. */
function writeSettings(file, settings) {
  fs.writeFileSync(file, 'module.exports = ' + JSON.stringify(settings, null, 2) + ';\n');
}

/**
 * The context stores `npm start` configures. Human Review keeps open reviews in `file`; it is
 * write-through (cache: false) so a review opened a moment before a crash (even kill -9) is on
 * disk. The fault suite kills Node-RED with exactly this configuration.
 */
const DEMO_CONTEXT_STORAGE = {
  default: 'file',
  file: { module: 'localfilesystem', config: { cache: false } },
  memory: { module: 'memory' },
};

module.exports = { root, linkSuite, writeSettings, DEMO_CONTEXT_STORAGE };
