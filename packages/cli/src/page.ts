import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SERVE_OPTIONS } from '@crowdserve/server/node';
import { CliError, describeValue } from './errors.js';

/** The built-in page's files (index.html, ui.js, ui.css), shipped in the package. */
export const BUILT_IN_PAGE_DIR = fileURLToPath(new URL('../static', import.meta.url));
/** Where the page's modules (the installed packages' ESM `dist/`) are served, under the page's folder. */
export const PAGE_MODULES_PATH = '_crowdserve';

/** What `serve()` is given to show a page: its folder and the `Content-Security-Policy` of its files. */
export interface ServedPage {
  staticDir: string;
  /** `undefined`: `serve()`'s own default (the one for a page of your own). */
  contentSecurityPolicy?: string;
  /** Removes what was made for it (the built-in page's staging folder). */
  dispose(): Promise<void>;
}

/**
 * The built-in page: a temporary folder holding its files and, under `_crowdserve/`, links to the
 * installed client's, protocol's and eventsource-parser's `dist/` folders, which its import map names.
 * `serve()` serves one folder, so the pieces are gathered into one instead of copied into a bundle.
 */
export async function builtInPage(): Promise<ServedPage> {
  const html = await readFile(join(BUILT_IN_PAGE_DIR, 'index.html'), 'utf8');
  const dir = await mkdtemp(join(tmpdir(), 'crowdserve-page-'));
  try {
    for (const name of await readdir(BUILT_IN_PAGE_DIR)) await copyFile(join(BUILT_IN_PAGE_DIR, name), join(dir, name));
    await mkdir(join(dir, PAGE_MODULES_PATH));
    for (const [name, target] of Object.entries(pageModuleDirs())) {
      // 'junction': a folder link Windows makes without admin rights; elsewhere the type is ignored.
      await symlink(target, join(dir, PAGE_MODULES_PATH, name), 'junction');
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    staticDir: dir,
    contentSecurityPolicy: pageContentSecurityPolicy(html),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** `--static-dir`: a page of your own, served with `serve()`'s default policy. A missing folder is a usage error. */
export async function ownPage(dir: string): Promise<ServedPage> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw new CliError(
      'USAGE',
      `--static-dir: expected a folder, got ${describeValue(dir)} (${info ? 'not a folder' : 'no such folder'})`,
    );
  }
  return { staticDir: resolve(dir), dispose: async () => {} };
}

/**
 * The `dist/` folder of each package the page imports, resolved from this package as Node would:
 * the client from here, protocol and eventsource-parser from the client (they are its dependencies).
 */
export function pageModuleDirs(): Record<string, string> {
  const client = dirname(fileURLToPath(import.meta.resolve('@crowdserve/client')));
  const fromClient = createRequire(join(client, 'index.js'));
  const protocol = dirname(fromClient.resolve('@crowdserve/protocol'));
  const parser = join(dirname(fromClient.resolve('eventsource-parser/package.json')), 'dist');
  return { client, protocol, 'eventsource-parser': parser };
}

/** The inline import map of a page, as the browser hashes it (the text between the tags). */
export function importMapOf(html: string): string {
  const match = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error('the built-in page has no <script type="importmap">');
  return match[1] as string;
}

/**
 * The built-in page's policy: `serve()`'s default, with the page's own scripts and its one inline
 * import map by its `sha256-` hash (never 'unsafe-inline'), fetches and sockets to its own server,
 * and none of the workers, WebAssembly or media only the playground needs.
 */
export function pageContentSecurityPolicy(html: string): string {
  const hash = createHash('sha256').update(importMapOf(html)).digest('base64');
  const own: Record<string, string | null> = {
    'script-src': `'self' 'sha256-${hash}'`,
    'worker-src': null,
    'connect-src': "'self' ws: wss:",
    'img-src': "'self' data:",
    'media-src': null,
  };
  return DEFAULT_SERVE_OPTIONS.contentSecurityPolicy
    .split('; ')
    .flatMap((directive) => {
      const name = directive.slice(0, directive.indexOf(' '));
      const value = own[name];
      if (value === undefined) return [directive];
      return value === null ? [] : [`${name} ${value}`];
    })
    .join('; ');
}
