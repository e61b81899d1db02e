export { startSimulator } from './server';
export type { FleetView, RunningSimulator, SimulatorLogger } from './server';
export {
  parseSimulatorFaults,
  parseSimulatorOptions,
  simulatorFaultsSchema,
  simulatorFlags,
  simulatorOptionsSchema,
} from './options';
export type {
  Range,
  SimulatorFaults,
  SimulatorFaultsInput,
  SimulatorFlag,
  SimulatorOptions,
  SimulatorOptionsInput,
} from './options';
export type { CurrentFaults, IamSignIn, InstancePatch, InstanceView, PoolSample, PoolSamples } from './model';
export type { InjectedResponse } from './faults';
export type { SimulatorStats } from './stats';
export type { SimulatorCall, SimulatorTimeline } from './call-log';
export { API_ENDPOINTS, FAULT_KINDS } from './endpoints';
export type { ApiEndpoint, FaultKind } from './endpoints';
export { POOLS, REGION_NAMES } from './fleet';
