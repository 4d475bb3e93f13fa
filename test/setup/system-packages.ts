import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Makes sure a Debian package's binary is here: installs it with apt-get when running as root on
 * Debian, otherwise stops with the exact command to run. Tests never skip silently.
 */
export function ensureBinary(binary: string, debianPackage: string): string {
  const found = which(binary);
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.log(`[test setup] ${binary} is missing: apt-get install -y ${debianPackage}`);
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', debianPackage], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    const installed = which(binary);
    if (installed) return installed;
  }
  throw new Error(`${binary} is needed by the tests and is not installed. Install it with:\n  sudo apt-get install -y ${debianPackage}`);
}

function which(binary: string): string | undefined {
  if (binary.startsWith('/')) return existsSync(binary) ? binary : undefined;
  // The usual places first: a shell spawned on a loaded machine can fail, and must not start an install.
  const usual = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/bin'].map((dir) => `${dir}/${binary}`).find((path) => existsSync(path));
  if (usual) return usual;
  const result = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const path = result.stdout.trim();
  return result.status === 0 && path ? path : undefined;
}
