import type { CoreEffect, VrrpInstance } from '../../../src/vrrp/instance-core.js';

/** The effects as short strings: `send-advert(P)`, `→STATE` or the effect's type. */
export function types(effects: CoreEffect[]): string[] {
  return effects.map((e) => (e.type === 'send-advert' ? `send-advert(${e.priority})` : e.type === 'transition' ? `→${e.to}` : e.type));
}

/** Delivers every deadline up to `until`, collecting the effects. */
export function runUntil(core: VrrpInstance, until: number): CoreEffect[] {
  const effects: CoreEffect[] = [];
  for (let deadline = core.nextDeadline(); deadline !== undefined && deadline <= until; deadline = core.nextDeadline()) {
    effects.push(...core.handle(deadline, { type: 'timer' }));
  }
  return effects;
}
