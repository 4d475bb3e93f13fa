import { defineConfig } from 'vite';

// The page is served by `callgate serve --dev` (or --demo) at `/`; relative asset paths let an
// application serve the same files under any path.
const callgate = 'http://127.0.0.1:8080';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      // zod's sources carry comments Rollup cannot place; they are harmless.
      onwarn(warning, warn) {
        if (warning.code !== 'INVALID_ANNOTATION') warn(warning);
      },
    },
  },
  // Callgate takes the dev login and /ws only from its own origin (Host and Origin headers), so the
  // dev server's requests are passed on as if the page came from Callgate itself.
  server: {
    proxy: {
      '/api': { target: callgate, changeOrigin: true, headers: { origin: callgate } },
      '/ws': { target: callgate.replace('http:', 'ws:'), ws: true, changeOrigin: true, headers: { origin: callgate } },
    },
  },
});
