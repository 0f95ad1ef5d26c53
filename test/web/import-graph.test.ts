import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The console's layering (docs: docs/style.md#style "Layout"): the router and the shared modules at the bottom, the pages on
 * top, main.ts above them wiring paths to pages. Read from the files' import statements (type-only imports count:
 * they tie the modules together just the same), without compiling or bundling anything.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const webSource = path.join(repositoryRoot, 'web', 'src');
const pagesDirectory = path.join(webSource, 'pages');
const mainModule = path.join(webSource, 'main.ts');
/** Besides its own modules, the console may import the pure domain code the server shares with it, and nothing else. */
const allowedOutside = [path.join(repositoryRoot, 'domain')];

type Graph = Map<string, string[]>;

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The modules a source file imports (type-only and dynamic imports included), as written. */
function importsOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map(({ fileName }) => fileName);
}

/** Every relative import of every module under web/src, resolved to a file path. */
function importGraph(): Graph {
  const graph: Graph = new Map();
  for (const file of sourceFiles(webSource)) {
    graph.set(
      file,
      importsOf(readFileSync(file, 'utf8')).map((specifier) => {
        if (!specifier.startsWith('.')) throw new Error(`${relative(file)} imports the package ${specifier}: the console bundles only its own modules and domain/`);
        return path.resolve(path.dirname(file), specifier);
      }),
    );
  }
  return graph;
}

/** The first import cycle found, as the modules along it (the first repeated at the end), or null. */
function findCycle(graph: Graph): string[] | null {
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (module: string): string[] | null => {
    const open = stack.indexOf(module);
    if (open >= 0) return [...stack.slice(open), module];
    if (done.has(module) || !graph.has(module)) return null;
    stack.push(module);
    for (const target of graph.get(module)!) {
      const cycle = visit(target);
      if (cycle) return cycle;
    }
    stack.pop();
    done.add(module);
    return null;
  };
  for (const module of graph.keys()) {
    const cycle = visit(module);
    if (cycle) return cycle;
  }
  return null;
}

const relative = (file: string) => path.relative(repositoryRoot, file);
const isPage = (file: string) => file.startsWith(pagesDirectory + path.sep);
const edges = (graph: Graph) => [...graph].flatMap(([from, targets]) => targets.map((to) => ({ from, to })));

describe('the web console’s import graph', () => {
  const graph = importGraph();

  it('has no cycle', () => {
    expect(findCycle(graph)?.map(relative) ?? null).toBeNull();
  });

  it('has pages that import neither another page nor main.ts', () => {
    const wrong = edges(graph).filter(({ from, to }) => isPage(from) && (isPage(to) || to === mainModule));
    expect(wrong.map(({ from, to }) => `${relative(from)} → ${relative(to)}`)).toEqual([]);
  });

  it('lets only main.ts import a page, and nothing import main.ts', () => {
    const wrong = edges(graph).filter(({ from, to }) => to === mainModule || (isPage(to) && from !== mainModule));
    expect(wrong.map(({ from, to }) => `${relative(from)} → ${relative(to)}`)).toEqual([]);
  });

  it('imports nothing from outside web/src but domain/', () => {
    const wrong = edges(graph).filter(({ to }) => !to.startsWith(webSource + path.sep) && !allowedOutside.some((directory) => to.startsWith(directory + path.sep)));
    expect(wrong.map(({ from, to }) => `${relative(from)} → ${relative(to)}`)).toEqual([]);
  });

  it('resolves every import to a module that exists', () => {
    const missing = edges(graph).filter(({ to }) => to.startsWith(webSource + path.sep) && !graph.has(to));
    expect(missing.map(({ from, to }) => `${relative(from)} → ${relative(to)}`)).toEqual([]);
  });

  it('sees a type-only import, and the cycle it closes', () => {
    // The shape this layering replaced: a page importing the entry point for its context type.
    const page = "import type { PageContext } from '../main.ts';\nimport { h } from '../dom.ts';\n";
    expect(importsOf(page)).toEqual(['../main.ts', '../dom.ts']);
    const planted: Graph = new Map([
      ['main.ts', ['pages/a.ts', 'router.ts']],
      ['pages/a.ts', ['router.ts', 'main.ts']],
      ['router.ts', []],
    ]);
    expect(findCycle(planted)).toEqual(['main.ts', 'pages/a.ts', 'main.ts']);
  });
});
