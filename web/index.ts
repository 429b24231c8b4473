export { buildWebApp, serveWebApp, DEFAULT_DIST_DIR, type BuildWebAppOptions, type ServeWebAppOptions, type WebAppServer } from './serve.ts';
