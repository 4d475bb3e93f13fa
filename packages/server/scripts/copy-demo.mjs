// The installed package serves the demo page (`callgate serve --demo` / `--dev`) from its own
// demo/ folder: `npm pack` (prepack) copies the built page there from apps/demo/dist, without
// source maps, and `--remove` (postpack) takes the copy away again. In the repository the server
// serves apps/demo/dist itself (src/http/demo-page.ts).
import { cpSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../../../apps/demo/dist', import.meta.url));
const to = fileURLToPath(new URL('../demo', import.meta.url));

rmSync(to, { recursive: true, force: true });
if (!process.argv.includes('--remove')) {
  if (!existsSync(`${from}/index.html`)) {
    console.error(`The demo page is not built (${from}/index.html is missing): run "npm run build" at the repository root first.`);
    process.exit(1);
  }
  cpSync(from, to, { recursive: true, filter: (path) => !path.endsWith('.map') });
  console.log(`copied the demo page from ${from} to ${to}`);
}
