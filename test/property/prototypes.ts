// Prototype pollution check: a snapshot of the built-in prototypes' own properties (names and
// values), and the list of what differs from it now.
const WATCHED: Array<[string, object]> = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
  ['Number.prototype', Number.prototype],
  ['Boolean.prototype', Boolean.prototype],
  ['Error.prototype', Error.prototype],
  ['Promise.prototype', Promise.prototype],
];

export type PrototypeSnapshot = Map<string, Map<string | symbol, PropertyDescriptor>>;

export function prototypeSnapshot(): PrototypeSnapshot {
  const snap: PrototypeSnapshot = new Map();
  for (const [name, proto] of WATCHED) {
    const props = new Map<string | symbol, PropertyDescriptor>();
    for (const key of Reflect.ownKeys(proto)) props.set(key, Object.getOwnPropertyDescriptor(proto, key)!);
    snap.set(name, props);
  }
  return snap;
}

/** "Object.prototype.polluted added", "Array.prototype.map replaced", ...; empty when unchanged. */
export function prototypesChanged(before: PrototypeSnapshot): string[] {
  const out: string[] = [];
  for (const [name, proto] of WATCHED) {
    const was = before.get(name)!;
    const keys = Reflect.ownKeys(proto);
    for (const key of keys) {
      const d = Object.getOwnPropertyDescriptor(proto, key)!;
      const old = was.get(key);
      if (!old) out.push(`${name}.${String(key)} added`);
      else if (old.value !== d.value || old.get !== d.get || old.set !== d.set) out.push(`${name}.${String(key)} replaced`);
    }
    for (const key of was.keys()) if (!keys.includes(key)) out.push(`${name}.${String(key)} removed`);
  }
  // Assignments through a setter on a null-prototype path leave no own key; probe the result too.
  if (({} as Record<string, unknown>).polluted !== undefined) out.push('({}).polluted is set');
  return out;
}
