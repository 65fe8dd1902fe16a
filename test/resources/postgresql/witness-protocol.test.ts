/**
 * The witness record protocol as a state machine (witness-protocol.ts, eligibility.ts): who may
 * claim, what a claim names, how a primary gets from asynchronous back to naming its standby
 * (also under a write load that never lets the standby be exactly caught up), and what an
 * unreadable or superseding record means for the primary and for the standby.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideEligibility, followsPrimary, tallyFollowing, type EligibilityInput } from '../../../src/resources/postgresql/eligibility.js';
import { promotionClaim, resyncStep, type ResyncObservation } from '../../../src/resources/postgresql/witness-protocol.js';
import type { PrimaryRecord } from '../../../src/resources/postgresql/witness.js';

const rec = (primary: string, syncStandby: string | null, generation = 5): PrimaryRecord => ({ primary, syncStandby, generation });

describe('promotionClaim()', () => {
  it('only the recorded primary or its recorded standby may claim', () => {
    assert.match(JSON.stringify(promotionClaim({ self: 'b', peer: 'a', record: rec('a', null), mayRunAsync: true })), /refused.*names a as primary and no node/);
    assert.match(JSON.stringify(promotionClaim({ self: 'b', peer: 'a', record: rec('a', 'c'), mayRunAsync: false })), /refused/);
  });
  it('the standby taking over names the old primary when it must wait for it, nobody when it may run asynchronously', () => {
    assert.deepEqual(promotionClaim({ self: 'b', peer: 'a', record: rec('a', 'b'), mayRunAsync: false }), { syncStandby: 'a' });
    assert.deepEqual(promotionClaim({ self: 'b', peer: 'a', record: rec('a', 'b'), mayRunAsync: true }), { syncStandby: null });
  });
  it('the recorded primary claiming again keeps the recorded standby: an asynchronous one stays unnamed', () => {
    assert.deepEqual(promotionClaim({ self: 'b', peer: 'a', record: rec('b', null), mayRunAsync: false }), { syncStandby: null });
    assert.deepEqual(promotionClaim({ self: 'b', peer: 'a', record: rec('b', 'a'), mayRunAsync: true }), { syncStandby: 'a' });
  });
  it('the first primary (no record) claims like a standby taking over', () => {
    assert.deepEqual(promotionClaim({ self: 'a', peer: 'b', record: undefined, mayRunAsync: false }), { syncStandby: 'b' });
  });
});

describe('resyncStep()', () => {
  const obs = (o: Partial<ResyncObservation>): ResyncObservation => ({ attached: true, sync: false, namesPeer: false, currentLsn: 1000n, peerFlushLsn: 900n, ...o });
  it('walks async → named → sync → caught up to the LSN of when it became sync → claim, with the writes never pausing', () => {
    let target: bigint | undefined;
    const steps: string[] = [];
    // Under load the current LSN keeps moving ahead of the standby's flush: it is never "caught up".
    const rounds: Partial<ResyncObservation>[] = [
      { namesPeer: false, currentLsn: 1000n, peerFlushLsn: 700n },
      { namesPeer: true, sync: false, currentLsn: 1100n, peerFlushLsn: 800n },
      { namesPeer: true, sync: true, currentLsn: 1200n, peerFlushLsn: 1000n },
      { namesPeer: true, sync: true, currentLsn: 1300n, peerFlushLsn: 1150n },
      { namesPeer: true, sync: true, currentLsn: 1400n, peerFlushLsn: 1250n },
    ];
    for (const round of rounds) {
      const step = resyncStep(obs(round), target);
      target = step.target;
      steps.push(step.action.kind);
    }
    assert.deepEqual(steps, ['name-peer', 'wait', 'wait', 'wait', 'claim']);
    assert.equal(target, 1200n, 'the target is the LSN seen in the first round after the standby became synchronous');
  });
  it('a standby that disconnects: commits stop waiting for it (names cleared) and the target is forgotten', () => {
    assert.deepEqual(resyncStep(obs({ attached: false, namesPeer: true }), 1200n), { action: { kind: 'clear-names' }, target: undefined });
    assert.equal(resyncStep(obs({ attached: false, namesPeer: false }), undefined).action.kind, 'wait');
  });
  it('never claims before the standby was synchronous and flushed the target', () => {
    assert.equal(resyncStep(obs({ namesPeer: true, sync: false, peerFlushLsn: 5000n }), 1200n).action.kind, 'wait');
    assert.equal(resyncStep(obs({ namesPeer: true, sync: true, peerFlushLsn: 1199n }), 1200n).action.kind, 'wait');
    assert.equal(resyncStep(obs({ namesPeer: true, sync: true, peerFlushLsn: undefined }), 1200n).action.kind, 'wait');
  });
});

describe('decideEligibility() with a witness', () => {
  const base: EligibilityInput = {
    nodeName: 'b',
    local: { kind: 'primary', timeline: 3, lsn: 100n },
    peer: { kind: 'unreachable', error: 'x' },
    bootstrapInitdb: false,
  };
  const reason = (input: EligibilityInput): string => {
    const e = decideEligibility(input);
    return e.eligible ? 'eligible' : e.reason;
  };
  it('the serving primary stays eligible while the record cannot be read (a member rebooting must not fence it)', () => {
    assert.equal(reason({ ...base, servingAsPrimary: true, witness: { record: 'unreachable', description: 'etcd x' } }), 'eligible');
  });
  it('a node that cannot read the record may not be promoted: a standby, or a primary left over from before a reboot', () => {
    const standby = { kind: 'standby' as const, timeline: 3, streaming: false, replayLsn: 1n, receiveLsn: 1n };
    assert.match(reason({ ...base, local: standby, knowledge: { role: 'sync-standby', timeline: 3, peerTimeline: 3 }, witness: { record: 'unreachable', description: 'etcd x' } }), /witness \(etcd x\) cannot be reached/);
    assert.match(reason({ ...base, servingAsPrimary: false, witness: { record: 'unreachable' } }), /cannot be reached/);
  });
  it('a primary the record no longer names is superseded, even when it is its recorded standby', () => {
    assert.match(reason({ ...base, servingAsPrimary: true, witness: { record: rec('a', 'b') } }), /names a as primary: this primary was superseded/);
    assert.equal(reason({ ...base, servingAsPrimary: true, witness: { record: rec('b', null) } }), 'eligible');
  });
});

describe('tallyFollowing(): when a standby that does not follow the primary is rejoined', () => {
  const primary = { kind: 'primary' as const, timeline: 6, lsn: 1n, myState: 'streaming' };
  const standby = (timeline: number, streaming: boolean) => ({ kind: 'standby' as const, timeline, streaming, replayLsn: 1n, receiveLsn: 1n });
  it('following means streaming on the primary\'s timeline, seen by the primary; a standby streaming on an older one does not follow', () => {
    assert.equal(followsPrimary(standby(6, true), primary), true);
    assert.equal(followsPrimary(standby(5, true), primary), false);
    assert.equal(followsPrimary(standby(6, false), primary), false);
    assert.equal(followsPrimary(standby(6, true), { ...primary, myState: 'catchup' }, 0n), true, 'catching up while WAL arrives is following');
    assert.equal(followsPrimary(standby(6, true), { ...primary, myState: 'catchup' }, 1n), false, 'in catchup with nothing arriving is not (a receiver that cannot follow the timeline)');
    const { myState: _, ...notSeen } = primary;
    assert.equal(followsPrimary(standby(6, true), notSeen), false, 'a receiver "streaming" that the primary does not see is not following');
    assert.equal(followsPrimary(standby(6, true), { kind: 'unreachable', error: 'x' }), undefined);
  });
  it('a receiver flapping between failing and "streaming" is rejoined (it once reset the count forever)', () => {
    let tally = { notFollowing: 0, following: 0 };
    const rejoins: boolean[] = [];
    for (const follows of [false, true, false, true, false]) {
      const r = tallyFollowing(tally, follows, 3);
      tally = r.tally;
      rejoins.push(r.rejoin);
    }
    assert.deepEqual(rejoins, [false, false, false, false, true]);
  });
  it('a short blip is forgotten once the standby followed for three rounds in a row; no primary resets the count', () => {
    let tally = { notFollowing: 2, following: 0 };
    for (let i = 0; i < 3; i++) tally = tallyFollowing(tally, true, 3).tally;
    assert.equal(tallyFollowing(tally, false, 3).rejoin, false);
    assert.deepEqual(tallyFollowing({ notFollowing: 2, following: 0 }, undefined, 3).tally, { notFollowing: 0, following: 0 });
  });
});
