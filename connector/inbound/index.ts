export { extractInbound, toJsonSafe } from './extract.ts';
