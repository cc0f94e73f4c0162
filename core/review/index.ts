// Human Review core: the rules (decide), the desk that keeps open reviews and their timers,
// and the pieces they are made of. No Node-RED imports; the node shell maps msgs onto these.
export * from './types';
export * from './decide';
export * from './desk';
export * from './diff';
export * from './checklist';
export * from './low-risk';
export * from './persistence';
export * from './expiry-queue';
