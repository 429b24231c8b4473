export { extractInbound, toJsonSafe } from './extract.ts';
export { InboundRecorder } from './recorder.ts';
export { TimelineRecorder } from './timeline.ts';
export { HistoryImporter } from './history.ts';
