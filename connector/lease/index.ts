export { LeaseKeeper } from './lease-keeper.ts';
