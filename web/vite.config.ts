// Vite config for the web app. The built app reads its Supabase URL and key at runtime from
// /config.js (served by web/serve.ts), so one build works against any stack. During `vite dev`
// the plugin below serves /config.js from VITE_SUPABASE_URL / VITE_SUPABASE_PUBLISHABLE_KEY.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv, type Plugin } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

function devRuntimeConfig(env: Record<string, string>): Plugin {
  return {
    name: 'wl-dev-runtime-config',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use('/config.js', (_req, res) => {
        const config = { supabaseUrl: env.VITE_SUPABASE_URL, supabasePublishableKey: env.VITE_SUPABASE_PUBLISHABLE_KEY };
        res.setHeader('content-type', 'text/javascript; charset=utf-8');
        res.setHeader('cache-control', 'no-store');
        res.end(`window.__WL_CONFIG__ = ${JSON.stringify(config)};\n`);
      });
    },
  };
}

export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, webRoot, 'VITE_');
  return {
    root: webRoot,
    base: '/',
    plugins: [react(), devRuntimeConfig(env)],
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      sourcemap: true,
      chunkSizeWarningLimit: 1000,
    },
  };
});
