/** The chaos soak's public face (see soak.ts). */
export { FAULT_KINDS, planCycle, cycleSeed, describeSteps, roles, type FaultKind, type ChaosStep, type CyclePlan, type ChaosSetup, type ChaosNode } from './plan.js';
export { applyStep, expectation, initialWorld, type Expectation, type World } from './oracle.js';
export { dualHoldingMs, rightSince, stateAt, verdict, type VipHistory, type Excuse, type Verdict } from './history.js';
export { ChaosDaemon, type ChaosDaemonKind } from './daemons.js';
export { ChaosRig, type CycleResult, type CheckResult, type RigOptions } from './rig.js';
export { runSoak, describeCycle, type SoakOptions, type SoakResult } from './soak.js';
