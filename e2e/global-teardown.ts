// Removes the run's scratch data dir (SQLite file, generated keys) made in playwright.config.ts.
import { rmSync } from 'node:fs';

export default function globalTeardown(): void {
  const dir = process.env.COPYTRADE_E2E_DATA_DIR;
  if (dir) {
    rmSync(dir, { recursive: true, force: true });
  }
}
