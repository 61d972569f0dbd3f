// The interface is built into dist/ with content-hashed file names under dist/assets/, which the
// node serves as immutable (docs/ui.md#serving). `npm run dev` proxies /api to a running node.
import { defineConfig } from 'vite';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { target: 'es2020', sourcemap: true, assetsInlineLimit: 0 },
  server: { proxy: { '/api': process.env.SBX_NODE ?? 'http://127.0.0.1:5000' } },
});
