import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUILT_IN_PAGE_DIR,
  PAGE_MODULES_PATH,
  builtInPage,
  importMapOf,
  ownPage,
  pageContentSecurityPolicy,
} from './page.js';

describe('builtInPage', () => {
  it('gathers the page and every module its import map names, and every bare import they make is mapped', async () => {
    const page = await builtInPage();
    try {
      const html = await readFile(join(page.staticDir, 'index.html'), 'utf8');
      const imports = (JSON.parse(importMapOf(html)) as { imports: Record<string, string> }).imports;
      for (const target of Object.values(imports)) {
        expect(target.startsWith(`./${PAGE_MODULES_PATH}/`), target).toBe(true);
        expect((await stat(join(page.staticDir, target))).isFile(), target).toBe(true);
      }
      // Each mapped module's own bare imports must be in the map too, or the browser fails to load it.
      for (const target of Object.values(imports)) {
        const source = await readFile(join(page.staticDir, target), 'utf8');
        for (const [, specifier] of source.matchAll(/\bfrom\s+'([^.'][^']*)'/g)) {
          expect(imports, `${target} imports ${specifier}`).toHaveProperty([specifier as string]);
        }
      }
      expect((await stat(join(page.staticDir, PAGE_MODULES_PATH, 'client/connect.js'))).isFile()).toBe(true);
    } finally {
      await page.dispose();
    }
    await expect(stat(page.staticDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("allows the page's own inline import map by its sha256, never 'unsafe-inline'", async () => {
    const html = await readFile(join(BUILT_IN_PAGE_DIR, 'index.html'), 'utf8');
    const hash = createHash('sha256').update(importMapOf(html)).digest('base64');
    const policy = pageContentSecurityPolicy(html);
    expect(policy).toBe(
      [
        "default-src 'self'",
        `script-src 'self' 'sha256-${hash}'`,
        "connect-src 'self' ws: wss:",
        "img-src 'self' data:",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join('; '),
    );
    expect(policy).not.toContain('unsafe-inline');
    // Another map gets another hash: the policy follows the file.
    expect(pageContentSecurityPolicy(html.replace('"imports"', '"imports" '))).not.toContain(hash);
  });
});

describe('ownPage (--static-dir)', () => {
  it('serves an existing folder with serve()’s own policy, and refuses a missing one or a file (USAGE)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crowdserve-own-'));
    try {
      const page = await ownPage(dir);
      expect(page.staticDir).toBe(dir);
      expect(page.contentSecurityPolicy).toBeUndefined();
      await expect(ownPage(join(dir, 'missing'))).rejects.toMatchObject({
        code: 'USAGE',
        message: `--static-dir: expected a folder, got '${join(dir, 'missing')}' (no such folder)`,
      });
      await writeFile(join(dir, 'file.txt'), 'x');
      await expect(ownPage(join(dir, 'file.txt'))).rejects.toMatchObject({ code: 'USAGE' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
