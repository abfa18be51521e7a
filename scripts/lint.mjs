#!/usr/bin/env node
/**
 * privroute's project lint: the rules tsc cannot check. Fast, no dependencies.
 *
 *   1. no shell-string execution in src/ (exec/execSync, shell: true, spawn of sh/bash);
 *   2. no ovs-vsctl / ovs-ofctl in src/ outside src/lab/ (they are test witnesses only);
 *   3. no file in src/ longer than 400 lines;
 *   4. a doc comment on every exported function and class in src/;
 *   5. no import cycle between the top-level folders of src/ (src/a imports src/b
 *      and src/b, directly or through others, imports src/a).
 *
 * Prints `file:line: rule: detail` per problem and exits 1 if there is any.
 * Usage: node scripts/lint.mjs [root]   (root defaults to the repository)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const SRC = path.join(root, 'src');
const MAX_LINES = 400;

/** All .ts files under dir (recursively). */
function tsFiles(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Blank out comments (keeping line numbers) so rules 1-2 only see code and strings. */
function stripComments(text) {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, (m, pre) => pre);
}

const SHELL_RULES = [
  [/\bexecSync\s*\(/, 'execSync runs a shell string; use HostExec / spawnArgv with an argv'],
  [/\b(child_process|childProcess|cp)\.exec(Sync)?\s*\(/, 'child_process.exec runs a shell string; use HostExec / spawnArgv with an argv'],
  [/\bimport\s*\{[^}]*\bexec(Sync)?\b[^}]*\}\s*from\s*['"](node:)?child_process['"]/, 'importing exec/execSync from child_process (shell strings)'],
  [/\bshell\s*:\s*true\b/, 'shell: true'],
  [/\b(spawn|spawnSync|execFile|execFileSync|spawnArgv)\s*\(\s*[^,)]*['"`](\/bin\/|\/usr\/bin\/)?(sh|bash|dash|zsh)['"`]/, 'spawning a shell'],
  [/\[\s*['"`](\/bin\/|\/usr\/bin\/)?(sh|bash|dash)['"`]\s*,\s*['"`]-c['"`]/, 'an argv that runs a shell with -c'],
];
// A string literal that is the OVS CLI itself (an argv element), not a mention in a message.
const OVS_CLI = /['"`](\/usr\/s?bin\/)?ovs-(vsctl|ofctl|appctl)['"`]/;

const problems = [];
const files = tsFiles(SRC);
for (const file of files) {
  const rel = path.relative(root, file);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const code = stripComments(text).split('\n');
  const inLab = rel.startsWith(`src${path.sep}lab${path.sep}`);

  if (lines.length > MAX_LINES) problems.push(`${rel}:${lines.length}: file-length: ${lines.length} lines (max ${MAX_LINES}); split it by concern`);

  code.forEach((line, i) => {
    for (const [re, why] of SHELL_RULES) if (re.test(line)) problems.push(`${rel}:${i + 1}: no-shell: ${why}`);
    if (!inLab && OVS_CLI.test(line)) problems.push(`${rel}:${i + 1}: no-ovs-cli: product code talks OVSDB/OpenFlow itself; ovs-vsctl/ovs-ofctl only in src/lab`);
  });

  lines.forEach((line, i) => {
    if (!/^export\s+(default\s+)?(async\s+)?(abstract\s+)?(function\*?|class)\s/.test(line)) return;
    let j = i - 1;
    while (j >= 0 && (lines[j].trim() === '' || lines[j].trim().startsWith('@'))) j--;
    if (j < 0 || !lines[j].trim().endsWith('*/')) {
      const name = /(?:function\*?|class)\s+([\w$]+)/.exec(line)?.[1] ?? '?';
      problems.push(`${rel}:${i + 1}: doc-comment: exported ${line.includes('class') ? 'class' : 'function'} ${name} has no /** doc comment */`);
    }
  });
}

// Rule 5: the folder import graph must be acyclic (a layered architecture).
const IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;
/** Top-level folder of src/ a path is in, or null (a file directly in src/, or outside src/). */
function folderOf(p) {
  const rel = path.relative(SRC, p).split(path.sep);
  return rel.length > 1 && rel[0] !== '..' ? rel[0] : null;
}
const folderEdges = new Map(); // folder -> Map(target folder -> first importing file:line)
for (const file of files) {
  const from = folderOf(file);
  if (!from) continue;
  const code = stripComments(readFileSync(file, 'utf8')).split('\n');
  code.forEach((line, i) => {
    for (const m of line.matchAll(IMPORT)) {
      const to = folderOf(path.resolve(path.dirname(file), m[1]));
      if (!to || to === from) continue;
      if (!folderEdges.has(from)) folderEdges.set(from, new Map());
      const out = folderEdges.get(from);
      if (!out.has(to)) out.set(to, `${path.relative(root, file)}:${i + 1}`);
    }
  });
}
for (const cycle of folderCycles(folderEdges)) {
  const via = cycle.map((f, i) => `${f} -> ${cycle[(i + 1) % cycle.length]} (${folderEdges.get(f).get(cycle[(i + 1) % cycle.length])})`);
  problems.push(`src/${cycle[0]}: folder-cycle: ${cycle.join(' -> ')} -> ${cycle[0]}: ${via.join('; ')}`);
}

/** The strongly connected components with more than one folder (Tarjan), each as one cycle through it. */
function folderCycles(edges) {
  const index = new Map(), low = new Map(), stack = [], on = new Set(), out = [];
  let n = 0;
  const visit = (v) => {
    index.set(v, n); low.set(v, n++); stack.push(v); on.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc = [];
    let w;
    do { w = stack.pop(); on.delete(w); scc.push(w); } while (w !== v);
    if (scc.length > 1) out.push(cycleIn(new Set(scc), v));
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
  // One concrete cycle inside an SCC: breadth-first from v back to v.
  function cycleIn(scc, v) {
    const prev = new Map([[v, null]]);
    const queue = [v];
    while (queue.length) {
      const u = queue.shift();
      for (const w of edges.get(u)?.keys() ?? []) {
        if (!scc.has(w)) continue;
        if (w === v) { const c = [u]; let x = u; while (prev.get(x) !== null) { x = prev.get(x); c.unshift(x); } return c; }
        if (!prev.has(w)) { prev.set(w, u); queue.push(w); }
      }
    }
    return [v];
  }
}

for (const p of problems) console.log(p);
console.log(`lint: ${files.length} files, ${problems.length} problem(s)`);
process.exit(problems.length === 0 ? 0 : 1);
