import ignore, { type Ignore } from 'ignore';

/**
 * Never uploaded, whatever the folder: OS metadata, Office and LibreOffice lock files, partial downloads and editor
 * swap files (gitignore syntax). A user pattern starting with `!` can bring one back.
 */
export const DEFAULT_IGNORE_PATTERNS: readonly string[] = [
  '.DS_Store',
  '._*',
  'Thumbs.db',
  'ehthumbs.db',
  'desktop.ini',
  '$RECYCLE.BIN/',
  'System Volume Information/',
  '.Trashes',
  '.Spotlight-V100',
  '.fseventsd',
  '.TemporaryItems',
  '~$*',
  '.~lock.*',
  '*.tmp',
  '*.temp',
  '*.part',
  '*.partial',
  '*.crdownload',
  '*.download',
  '*.swp',
  '*.swo',
  '*.swx',
  '*~',
  '.#*',
  '#*#',
  '*.kate-swp',
  '4913',
];

export interface PathRules {
  /** `relPath` is `/`-separated and relative to the watched folder. */
  isIgnoredFile(relPath: string): boolean;
  isIgnoredDir(relPath: string): boolean;
}

export interface PathRulesInput {
  patterns: readonly string[];
  /** Hidden = a dot file or a file in a dot folder. Skipped unless asked for (`--include-hidden`). */
  includeHidden: boolean;
  /** Folders inside the watched one that are never looked at (Hoist's own data folder when it lives there). */
  excludedDirs?: readonly string[];
}

const isHidden = (relPath: string) => relPath.startsWith('.') || relPath.includes('/.');

/**
 * gitignore semantics through `ignore` (the library eslint and prettier use): patterns are relative to the watched
 * folder, `dir/` matches folders only, `!` negates, a file under an ignored folder is ignored. Case-insensitive where
 * the file system usually is (Windows, macOS), as git's core.ignorecase.
 */
export function makePathRules(input: PathRulesInput, platform: NodeJS.Platform = process.platform): PathRules {
  const matcher: Ignore = ignore({ ignorecase: platform === 'win32' || platform === 'darwin' })
    .add([...DEFAULT_IGNORE_PATTERNS])
    .add([...input.patterns]);
  const excluded = (input.excludedDirs ?? []).filter((d) => d !== '');
  const isExcluded = (relPath: string) => excluded.some((d) => relPath === d || relPath.startsWith(`${d}/`));
  const matches = [...DEFAULT_IGNORE_PATTERNS, ...input.patterns].every(isNamePattern) ? nameMatcher(matcher) : (relPath: string, asDir: boolean) => matcher.ignores(asDir ? `${relPath}/` : relPath);
  const check = (relPath: string, asDir: boolean) => {
    if (relPath === '') return false;
    if (isExcluded(relPath)) return true;
    if (!input.includeHidden && isHidden(relPath)) return true;
    return matches(relPath, asDir);
  };
  return { isIgnoredFile: (relPath) => check(relPath, false), isIgnoredDir: (relPath) => check(relPath, true) };
}

/** A pattern with no `/` except a trailing one matches a name at any depth, whatever the folders above it. */
function isNamePattern(pattern: string): boolean {
  const body = pattern.startsWith('!') ? pattern.slice(1) : pattern;
  return !(body.endsWith('/') ? body.slice(0, -1) : body).includes('/');
}

const NAME_CACHE_MAX = 50_000;

/**
 * When every rule is a name pattern (the defaults and most users' lists), a path is ignored exactly when one of its
 * components is, judged by name alone (as a folder for the parents): the library is asked once per distinct name
 * instead of once per path. Same answers, and a 100,000-file scan spends milliseconds, not seconds, on rules.
 */
function nameMatcher(matcher: Ignore): (relPath: string, asDir: boolean) => boolean {
  const cache = new Map<string, boolean>();
  const nameIgnored = (name: string, asDir: boolean) => {
    const key = asDir ? `${name}/` : name;
    let ignored = cache.get(key);
    if (ignored === undefined) {
      if (cache.size >= NAME_CACHE_MAX) cache.clear();
      ignored = matcher.ignores(key);
      cache.set(key, ignored);
    }
    return ignored;
  };
  return (relPath, asDir) => {
    let start = 0;
    for (let slash = relPath.indexOf('/'); slash >= 0; slash = relPath.indexOf('/', start)) {
      if (nameIgnored(relPath.slice(start, slash), true)) return true;
      start = slash + 1;
    }
    return nameIgnored(relPath.slice(start), asDir);
  };
}

/** A user's pattern that cannot work (absolute, `./`-relative, empty): the message, or undefined when it is fine. */
export function checkPattern(pattern: string): string | undefined {
  if (pattern.trim() === '') return 'an ignore pattern cannot be empty';
  if (pattern.startsWith('./') || pattern.startsWith('../')) return `"${pattern}": patterns are relative to the watched folder; write it without "./" (or with a leading "/" to anchor it)`;
  try {
    ignore().add(pattern).ignores('probe');
  } catch (error) {
    return `"${pattern}" is not a valid ignore pattern (${(error as Error).message})`;
  }
  return undefined;
}
