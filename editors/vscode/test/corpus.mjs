// The grammar on the workspace's real files (specs/**/*.prop, stdlib/*.prop, and this
// folder's tests): no `invalid.illegal` token, every declared item's name scoped
// `entity.name.*`, every `///` line a doc comment, and no region (comment, string,
// parenthesis) left open at the end of a file.
//
//   node test/corpus.mjs              (run by `npm test`)
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadGrammar, vsctm } from "./textmate.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");

function propFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return propFiles(p);
    return e.name.endsWith(".prop") ? [p] : [];
  });
}
const files = [root + "/specs", root + "/stdlib", here].flatMap(propFiles);

const { grammar } = await loadGrammar();
const failures = [];
let lines = 0;
let items = 0;
for (const file of files) {
  const rel = path.relative(root, file);
  const isTest = file.startsWith(here);
  let stack = vsctm.INITIAL;
  fs.readFileSync(file, "utf8").split("\n").forEach((line, i) => {
    const at = `${rel}:${i + 1}`;
    // The grammar tests' assertion lines are not source.
    if (isTest && /^\/\/\s*(\^|<[~-])/.test(line)) return;
    const { tokens, ruleStack } = grammar.tokenizeLine(line, stack);
    stack = ruleStack;
    lines++;
    const scopeAt = (col) => tokens.find((t) => t.startIndex <= col && col < t.endIndex)?.scopes ?? [];
    for (const t of tokens) {
      const inner = t.scopes[t.scopes.length - 1];
      // The grammar tests include rejected characters on purpose.
      if (inner.startsWith("invalid") && !isTest) {
        failures.push(`${at}: ${JSON.stringify(line.slice(t.startIndex, t.endIndex))} is ${inner}`);
      }
    }
    const item = line.match(/^(network|param|dataset|let|def|property|query)\s+([A-Za-z_]\w*)/);
    if (item) {
      items++;
      const scopes = scopeAt(line.indexOf(item[2], item[1].length));
      if (!scopes.some((s) => s.startsWith("entity.name."))) {
        failures.push(`${at}: the ${item[1]} name \`${item[2]}\` is ${scopes.slice(1).join(" ") || "unscoped"}`);
      }
    }
    if (/^\s*\/\/\/(?!\/)/.test(line) && !scopeAt(line.indexOf("///")).includes("comment.line.documentation.prop")) {
      failures.push(`${at}: \`///\` line is not a doc comment`);
    }
  });
  // A file ends outside any begin/end region: tokenizing a fresh line gives only source.prop.
  const probe = grammar.tokenizeLine("x", stack).tokens[0].scopes;
  if (probe.length > 2 || probe[1] !== "variable.other.prop") {
    failures.push(`${rel}: ends inside a region (${probe.join(" ")})`);
  }
}

console.log(`corpus.mjs: ${files.length} files, ${lines} lines, ${items} item declarations, ${failures.length} failure(s)`);
for (const f of failures) console.error(`  FAIL ${f}`);
process.exit(files.length > 0 && failures.length === 0 ? 0 : 1);
