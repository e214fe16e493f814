import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, defineConfig, type Plugin } from 'vite';

const out = fileURLToPath(new URL('../dist/widget', import.meta.url));
const source = (file: string) => fileURLToPath(new URL(`src/${file}`, import.meta.url));

/**
 * The website widget, built into dist/widget: first the panel chunk (an ES module with a content hash,
 * cached for ever), then the loader `widget.js` (a classic script, since the snippet is a plain
 * `<script async>`), which is told the panel's file name.
 */
const thenTheLoader: Plugin = {
  name: 'parley-widget-loader',
  apply: 'build',
  async closeBundle() {
    const panel = readdirSync(out).find((name) => /^panel-[\w-]+\.js$/.test(name));
    if (!panel) throw new Error('The widget panel was not built.');
    await build({
      configFile: false,
      logLevel: 'warn',
      define: { __PARLEY_PANEL__: JSON.stringify(panel) },
      build: {
        outDir: out,
        emptyOutDir: false,
        target: 'es2020',
        minify: true,
        reportCompressedSize: false,
        lib: { entry: source('loader.ts'), formats: ['iife'], name: 'ParleyWidget', fileName: () => 'widget.js' },
      },
    });
  },
};

export default defineConfig({
  plugins: [thenTheLoader],
  build: {
    outDir: out,
    emptyOutDir: true,
    target: 'es2020',
    minify: true,
    reportCompressedSize: false,
    lib: { entry: source('panel.ts'), formats: ['es'], fileName: () => 'panel.js' },
    rolldownOptions: { output: { entryFileNames: 'panel-[hash].js', minify: true } },
  },
});
