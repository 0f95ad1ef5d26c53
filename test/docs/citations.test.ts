import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Comments cite the rules the code implements, and those rules must be readable in a clone: every reference in a
 * comment to a document under docs/ (with its #anchor) or to a file ("see <path>") must resolve inside the
 * repository, and no comment may cite a document that lives outside it (docs/style.md#naming-and-comments). Pure
 * file reads: no database, no Temporal.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The rulebook describes the documents it was distilled from, so it alone may name them. */
const rulebook = 'docs/rules.md';

const scannedExtensions = new Set(['.ts', '.mts', '.mjs', '.js', '.sql', '.md']);
const skippedDirectories = new Set(['node_modules', 'coverage']);

function sourceFiles(directory = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(path.join(repositoryRoot, directory), { withFileTypes: true })) {
    // Dot-directories hold tooling and data (.git, .data, .test-data, .ci), never cited prose.
    if (entry.name.startsWith('.') || skippedDirectories.has(entry.name)) continue;
    const relative = directory === '' ? entry.name : `${directory}/${entry.name}`;
    if (entry.isDirectory()) files.push(...sourceFiles(relative));
    else if (entry.isFile() && scannedExtensions.has(path.extname(entry.name))) files.push(relative);
  }
  return files;
}

interface Comment {
  /** Offset of the comment's first character in the file. */
  start: number;
  text: string;
}

const regexMayFollowWord = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'await', 'yield',
]);

/**
 * The comments of a TypeScript or JavaScript file. Strings, template literals (with their `${…}` code) and regular
 * expression literals are skipped, so a `//` inside them is not taken for a comment. A `/` starts a regular expression
 * where an operand is expected: at the start, after an operator or opening bracket, or after a keyword such as
 * `return`; after a name, a number or a closing bracket it divides.
 */
function scriptComments(text: string): Comment[] {
  const comments: Comment[] = [];
  const length = text.length;

  const skipQuoted = (index: number, quote: string): number => {
    let position = index + 1;
    while (position < length && text[position] !== quote && text[position] !== '\n') {
      position += text[position] === '\\' ? 2 : 1;
    }
    return position + 1;
  };

  const skipRegex = (index: number): number => {
    let position = index + 1;
    let inClass = false;
    while (position < length) {
      const character = text[position]!;
      if (character === '\n') return index + 1;
      if (character === '\\') position += 2;
      else {
        if (character === '[') inClass = true;
        else if (character === ']') inClass = false;
        else if (character === '/' && !inClass) break;
        position += 1;
      }
    }
    position += 1;
    while (position < length && /[a-z]/i.test(text[position]!)) position += 1;
    return position;
  };

  const skipTemplate = (index: number): number => {
    let position = index + 1;
    while (position < length) {
      const character = text[position]!;
      if (character === '\\') position += 2;
      else if (character === '`') return position + 1;
      else if (character === '$' && text[position + 1] === '{') position = scanCode(position + 2, true);
      else position += 1;
    }
    return position;
  };

  /** Scans code from `index`; inside a template's `${…}` it returns just after the closing brace. */
  function scanCode(index: number, inTemplate: boolean): number {
    let position = index;
    let depth = 0;
    let previous = '';
    let previousWord = '';
    while (position < length) {
      const character = text[position]!;
      const next = text[position + 1];
      if (/\s/.test(character)) {
        position += 1;
      } else if (character === '/' && next === '/') {
        const end = text.indexOf('\n', position);
        const stop = end === -1 ? length : end;
        comments.push({ start: position, text: text.slice(position, stop) });
        position = stop;
      } else if (character === '/' && next === '*') {
        const end = text.indexOf('*/', position + 2);
        const stop = end === -1 ? length : end + 2;
        comments.push({ start: position, text: text.slice(position, stop) });
        position = stop;
      } else if (character === '"' || character === "'") {
        position = skipQuoted(position, character);
        previous = 'operand';
      } else if (character === '`') {
        position = skipTemplate(position);
        previous = 'operand';
      } else if (character === '/') {
        const operandExpected = previous === '' || (previous === 'word' ? regexMayFollowWord.has(previousWord) : previous !== 'operand');
        position = operandExpected ? skipRegex(position) : position + 1;
        previous = operandExpected ? 'operand' : '/';
      } else if (/[\w$]/.test(character)) {
        const start = position;
        while (position < length && /[\w$]/.test(text[position]!)) position += 1;
        previousWord = text.slice(start, position);
        previous = 'word';
      } else if (character === '{') {
        depth += 1;
        previous = '{';
        position += 1;
      } else if (character === '}') {
        if (inTemplate && depth === 0) return position + 1;
        depth -= 1;
        previous = 'operand';
        position += 1;
      } else {
        previous = character === ')' || character === ']' ? 'operand' : character;
        position += 1;
      }
    }
    return position;
  }

  scanCode(0, false);
  return comments;
}

/** The comments of an SQL file: `--` to the end of the line and `/* … *\/`, outside string literals and quoted names. */
function sqlComments(text: string): Comment[] {
  const comments: Comment[] = [];
  let position = 0;
  while (position < text.length) {
    const character = text[position]!;
    const next = text[position + 1];
    if (character === '-' && next === '-') {
      const end = text.indexOf('\n', position);
      const stop = end === -1 ? text.length : end;
      comments.push({ start: position, text: text.slice(position, stop) });
      position = stop;
    } else if (character === '/' && next === '*') {
      const end = text.indexOf('*/', position + 2);
      const stop = end === -1 ? text.length : end + 2;
      comments.push({ start: position, text: text.slice(position, stop) });
      position = stop;
    } else if (character === "'" || character === '"') {
      // A doubled quote is an escaped one; the scan simply continues past it.
      position = text.indexOf(character, position + 1);
      position = position === -1 ? text.length : position + 1;
    } else {
      position += 1;
    }
  }
  return comments;
}

/** The prose of a file: a Markdown document is prose throughout; code files have their comments. */
function commentsOf(file: string, text: string): Comment[] {
  if (file.endsWith('.md')) return [{ start: 0, text }];
  if (file.endsWith('.sql')) return sqlComments(text);
  return scriptComments(text);
}

const lineOf = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/** GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens. */
function headingSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const anchorCache = new Map<string, Set<string>>();

/** Every anchor a Markdown file offers: explicit `<a id>` / `<a name>` targets and its headings' slugs. */
function anchorsOf(file: string): Set<string> {
  const cached = anchorCache.get(file);
  if (cached) return cached;
  const anchors = new Set<string>();
  const text = readFileSync(path.join(repositoryRoot, file), 'utf8');
  for (const match of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = headingSlug(heading[1]!);
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  anchorCache.set(file, anchors);
  return anchors;
}

interface Reference {
  /** Candidate repository-relative paths, any of which may exist. */
  candidates: string[];
  anchor: string | null;
  written: string;
}

const normalise = (candidate: string) => path.posix.normalize(candidate).replace(/^(\.\.\/)+/, '');

/** The references a comment makes: docs/… paths, "see <file>", and Markdown links in documents. */
function referencesIn(file: string, comment: string): Reference[] {
  const references: Reference[] = [];
  const directory = path.posix.dirname(file);
  const add = (target: string, anchor: string | undefined, written: string, relativeToFile: boolean) => {
    const candidates = [normalise(target)];
    if (relativeToFile) candidates.unshift(normalise(path.posix.join(directory, target)));
    references.push({ candidates, anchor: anchor ?? null, written });
  };
  for (const match of comment.matchAll(/(?<![\w/.-])((?:\.\.?\/)*docs\/[\w./-]*[\w-]\.md)(?:#([\w-]+))?/g)) {
    add(match[1]!, match[2], match[0], false);
  }
  const seeFile = /\bsee\s+(?:also\s+)?[`'"“(]?((?:\.\.?\/)*(?:[\w@.-]+\/)*[\w@-][\w@.-]*\.(?:ts|mts|mjs|js|sql|md|json|csv|ndjson))(?:#([\w-]+))?/gi;
  for (const match of comment.matchAll(seeFile)) {
    if (match[1]!.includes('docs/')) continue;
    add(match[1]!, match[2], match[0], file.endsWith('.md'));
  }
  if (file.endsWith('.md')) {
    for (const match of comment.matchAll(/\]\(([^)\s]*)\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue;
      const [targetPath = '', anchor] = target.split('#');
      if (targetPath === '') references.push({ candidates: [file], anchor: anchor ?? null, written: match[0] });
      else add(targetPath, anchor, match[0], true);
    }
  }
  return references;
}

function problemsOf(file: string, reference: Reference): string | null {
  const found = reference.candidates.find((candidate) => existsSync(path.join(repositoryRoot, candidate)));
  if (found === undefined) return `${reference.written}: no such file`;
  if (reference.anchor === null) return null;
  if (!found.endsWith('.md') || !statSync(path.join(repositoryRoot, found)).isFile()) return `${reference.written}: an anchor in a file that is not Markdown`;
  return anchorsOf(found).has(reference.anchor) ? null : `${reference.written}: ${found} has no anchor #${reference.anchor}`;
}

/** Citations of documents that are not in the repository. */
const outsideCitations: { pattern: RegExp; what: string }[] = [
  { pattern: /\bSPEC\b/g, what: 'the product specification' },
  { pattern: /\bsources?\s+00\d\b/gi, what: 'a source document' },
  { pattern: /\bSTYLE\.md\b/g, what: 'the style guide outside the repository' },
];

describe('citations in comments', () => {
  const files = sourceFiles();
  const texts = new Map(files.map((file) => [file, readFileSync(path.join(repositoryRoot, file), 'utf8')]));

  it('finds the repository’s sources and the rulebook', () => {
    expect(files).toContain(rulebook);
    expect(files).toContain('domain/policy.ts');
    expect(files.some((file) => file.startsWith('node_modules/'))).toBe(false);
  });

  it('resolves every docs/… reference, its #anchor, and every "see <file>" in a comment', () => {
    const problems: string[] = [];
    for (const [file, text] of texts) {
      for (const comment of commentsOf(file, text)) {
        for (const reference of referencesIn(file, comment.text)) {
          const problem = problemsOf(file, reference);
          if (problem) problems.push(`${file}:${lineOf(text, comment.start + comment.text.indexOf(reference.written))}: ${problem}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('cites no document that lives outside the repository', () => {
    const citations: string[] = [];
    for (const [file, text] of texts) {
      if (file === rulebook) continue;
      for (const comment of commentsOf(file, text)) {
        for (const { pattern, what } of outsideCitations) {
          for (const match of comment.text.matchAll(pattern)) {
            citations.push(`${file}:${lineOf(text, comment.start + match.index)}: "${match[0]}" cites ${what}`);
          }
        }
      }
    }
    expect(citations).toEqual([]);
  });

  it('reads comments the way the checks above need', () => {
    const sample = [
      "const url = 'http://example.com'; // one",
      'const pattern = /\\/\\/ not a comment/; /* two */',
      'const ratio = total / count / 2; // three',
      'const text = `${value /* four */} // not a comment`;',
    ].join('\n');
    expect(scriptComments(sample).map((comment) => comment.text)).toEqual(['// one', '/* two */', '// three', '/* four */']);
    expect(sqlComments("SELECT '--no' AS x; -- yes\n/* also */").map((comment) => comment.text)).toEqual(['-- yes', '/* also */']);
    expect(headingSlug('Failure codes and retries')).toBe('failure-codes-and-retries');
  });
});
