import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by the API at /ui; noVNC uses top-level await, hence an es2022 target.
export default defineConfig({
  base: '/ui/',
  plugins: [react()],
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1024 },
});
