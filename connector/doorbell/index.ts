export { startRealtimeDoorbell, type Doorbell } from './realtime-doorbell.ts';
export { Sweeper } from './sweeper.ts';
