// Integration tests need real programs (influxd, chromium). Locally a missing program skips the
// test with a line that says what to install; under CI=true it is a failure, because CI must
// run every test.
import { execFileSync } from 'child_process';

export function findTool(name: string, candidates: string[] = []): string | undefined {
  for (const c of [...candidates, name]) {
    try {
      const found = execFileSync('sh', ['-c', `command -v "${c}"`], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      /* not on PATH */
    }
  }
  return undefined;
}

/** Returns the tool's path, or skips the suite (fails under CI=true) when it is missing. */
export function requireTool(ctx: Mocha.Context, name: string, install: string, candidates: string[] = []): string {
  const found = findTool(name, candidates);
  if (found) return found;
  const line = `${name} is not installed: ${install}`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${line}`);
  // eslint-disable-next-line no-console
  console.log(`      SKIPPED (${line})`);
  ctx.skip();
  throw new Error('unreachable');
}
