import { defineConfig } from 'vite';

// Served by the Yiwang server at / (server/src/platform/web/routes.ts); `npm run dev -w web` proxies the API to :8080.
const api = { target: 'http://localhost:8080', changeOrigin: false };

export default defineConfig({
  build: {
    outDir: 'dist',
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      // antd marks its modules "use client" (React Server Components); meaningless in a browser bundle.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
      output: {
        manualChunks(id: string) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts';
          if (id.includes('node_modules/jsqr')) return 'jsqr';
          if (id.includes('node_modules/')) return 'vendor';
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: { '/fhir': api, '/auth': api, '/admin': api, '/api': api, '/me/': api },
  },
});
