/**
 * keepalived's vrrp_strict / strict_mode and Accept_Mode, applied to an instance draft before it
 * is resolved. keepalived 2.2.7 (vrrp_complete_instance, checked against the binary) refuses an
 * instance without VIPs and otherwise resets what strict mode forbids, logging each reset; the
 * same resets happen here, each a warning naming the line.
 *
 * no_accept (written, or implied by strict mode for an instance below priority 255) is
 * enforced by the daemon with an nf_tables drop rule, as keepalived does (daemon/accept-mode.ts).
 */
import { isIpv6LinkLocal } from './address.js';
import { ConfigError } from './config-error.js';
import { OWNER_PRIORITY } from './defaults.js';
import { located, type GlobalDraft, type InstanceDraft, type Located } from './draft.js';
import type { SourceLocation } from './model.js';
import type { WarningList } from './validate-values.js';

/** The instance's strict_mode, else the global vrrp_strict. */
export function strictSource(draft: InstanceDraft, global: GlobalDraft): Located<boolean> | undefined {
  return draft.strict ?? global.strict;
}

/** keepalived's strict-mode resets; mutates and returns the draft. */
export function applyStrictMode(draft: InstanceDraft, global: GlobalDraft, warnings: WarningList): InstanceDraft {
  const strict = strictSource(draft, global);
  if (!strict?.value) return draft;
  const reset = (message: string, source: SourceLocation): void => warnings.add(`${message} (strict mode, as keepalived does)`, source);
  const advertised = draft.vips.filter((v) => !v.excluded);
  if (advertised.length === 0) {
    throw new ConfigError(`Instance "${draft.name}" has no virtual address; strict mode requires at least one (keepalived refuses it too)`, draft.source, strict.key ?? 'vrrp_strict');
  }
  const priority = draft.priority?.value;
  if (draft.initialState?.value === 'MASTER' && priority !== OWNER_PRIORITY) {
    reset('state MASTER without priority 255 (address owner): starts as BACKUP', draft.initialState.source);
    draft.initialState = located('BACKUP', draft.initialState.source, draft.initialState.key);
  }
  if (draft.authPass) {
    reset('Authentication is not allowed: adverts are sent and accepted without it', draft.authPass.source);
    delete draft.authPass;
  }
  if (draft.preemptDelayMs && draft.preemptDelayMs.value !== 0) {
    reset('preempt_delay is not allowed: reset to 0', draft.preemptDelayMs.source);
    delete draft.preemptDelayMs;
  }
  if (draft.network.vmacXmitBase?.value) {
    reset('vmac_xmit_base is not allowed: adverts go out of the VMAC', draft.network.vmacXmitBase.source);
    delete draft.network.vmacXmitBase;
  }
  const family = advertised[0]?.family ?? 4;
  const version = draft.version?.value ?? global.defaultVersion?.value ?? (family === 6 ? 3 : 2);
  if (draft.accept?.value && version === 2) {
    reset('accept mode is not part of VRRP version 2 (RFC 3768): no_accept', draft.accept.source);
    draft.accept = located(false, draft.accept.source, draft.accept.key);
  }
  // keepalived: without accept / no_accept, strict mode accepts only as the address owner.
  draft.accept ??= located(priority === OWNER_PRIORITY, strict.source, strict.key ?? 'vrrp_strict');
  const firstV6 = advertised.find((v) => v.family === 6);
  if (firstV6 && !isIpv6LinkLocal(firstV6.address)) {
    warnings.add(`The first IPv6 virtual address ${firstV6.address} is not link-local, as strict mode (RFC 5798 §5.2.9) expects`, firstV6.source);
  }
  return draft;
}
