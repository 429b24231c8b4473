export { extractInbound, toJsonSafe } from './extract.ts';
export { InboundRecorder } from './recorder.ts';
