// Is this a plain data object (what JSON and object literals make)? Realm-independent on
// purpose: objects built in a Node-RED Function node come from its sandbox, whose
// Object.prototype is not ours, so `proto === Object.prototype` would refuse every one of them.
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Buffer.isBuffer(v)) return false;
  if (Object.prototype.toString.call(v) !== '[object Object]') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === null || Object.getPrototypeOf(proto) === null;
}
