// Test-only: GET <admin>/llmops-probe answers what the Node-RED process holds right now: active
// resources by kind (sockets, servers, timers, file watchers: process.getActiveResourcesInfo) and
// the heap after a full garbage collection (Node started with --expose-gc), and whether node-opcua
// has been loaded. The redeploy leak test and bench:throughput read it. It registers no node type that a flow would use.
'use strict';
module.exports = function (RED) {
  RED.httpAdmin.get('/llmops-probe', (req, res) => {
    const collect = () => {
      if (typeof global.gc === 'function') {
        global.gc();
        global.gc();
      }
    };
    // Let closes scheduled by the last deploy run before counting.
    setTimeout(() => {
      collect();
      const resources = {};
      for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] || 0) + 1;
      const handles = {};
      for (const h of process._getActiveHandles()) {
        const kind = (h && h.constructor && h.constructor.name) || typeof h;
        handles[kind] = (handles[kind] || 0) + 1;
      }
      const m = process.memoryUsage();
      const loaded = Object.keys(require.cache);
      // Node-RED's palette scan reads every package.json; code is what counts.
      const opcuaLoaded = loaded.some((k) => /[\\/]node_modules[\\/]node-opcua[^\\/]*[\\/].*\.js$/.test(k));
      res.json({ resources, handles, heapUsed: m.heapUsed, rss: m.rss, external: m.external, gc: typeof global.gc === 'function', modulesLoaded: loaded.length, opcuaLoaded });
    }, 200);
  });
  function Probe(config) {
    RED.nodes.createNode(this, config);
  }
  RED.nodes.registerType('llmops-test-probe', Probe);
};
