// The browser bundle: dist/browser.js (the SDK for browsers, as tsc built it) and everything it
// imports, as one minified ES module for a plain <script type="module"> without a bundler.
// Prints its size, gzipped too (the packaging test keeps it under 30 KB).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const outfile = join(packageDir, 'dist/callgate-client.min.js');
const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));

const result = await build({
  absWorkingDir: packageDir,
  entryPoints: ['dist/browser.js'],
  outfile,
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser', // a Node built-in anywhere in the graph fails the build
  target: 'es2022',
  sourcemap: true,
  metafile: true,
  legalComments: 'none', // the bundled packages' licenses go to the .LICENSE.txt file below
  banner: { js: `/*! @callgate/client ${version} | MIT | bundled packages and their licenses: callgate-client.min.js.LICENSE.txt */` },
  logLevel: 'warning',
});

// The third-party packages in the bundle, each with its license text (MIT asks for the notice).
// The metafile names every input relative to absWorkingDir, the package directory.
const bundled = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
  if (match && !match[2].startsWith('@callgate/')) bundled.set(match[2], join(packageDir, match[1]));
}
const notices = [...bundled].sort().map(([name, root]) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const license = ['LICENSE', 'LICENSE.md', 'LICENSE.txt'].map((file) => join(root, file)).find((file) => existsSync(file));
  return `${name}@${pkg.version} (${pkg.license})\n\n${license ? readFileSync(license, 'utf8').trim() : `no license file; package.json says ${pkg.license}`}\n`;
});
writeFileSync(`${outfile}.LICENSE.txt`, [`@callgate/client ${version} (MIT) bundles:\n`, ...notices].join('\n' + '-'.repeat(72) + '\n\n'));

const code = readFileSync(outfile);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log(`dist/callgate-client.min.js  ${kb(code.length)}, ${kb(gzipSync(code).length)} gzipped (budget: 30 KB gzipped); bundles ${[...bundled.keys()].join(', ')}`);
