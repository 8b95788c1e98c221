// Consistency of the extension's manifest, sources and bundle (no VS Code needed):
// the contributed language, grammar, configuration and command match what the files
// and src/extension.ts use, the language configuration's regexes behave, and the built
// bundle loads against a stub `vscode` module and exports activate/deactivate.
//
//   node test/manifest.mjs            (run by `npm test`, after `npm run build`)
import fs from "node:fs";
import path from "node:path";
import Module, { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const ext = path.resolve(here, "..");
const read = (p) => fs.readFileSync(path.join(ext, p), "utf8");
const pkg = JSON.parse(read("package.json"));
const failures = [];
let checks = 0;
function check(ok, msg) {
  checks++;
  if (!ok) failures.push(msg);
}

// ---- the language and its grammar
const lang = pkg.contributes.languages.find((l) => l.id === "prop");
check(lang, "no `prop` language contributed");
check(lang?.extensions?.includes(".prop"), "the `prop` language does not claim `.prop`");
check(pkg.activationEvents?.includes("onLanguage:prop"), "no `onLanguage:prop` activation event");
const gram = pkg.contributes.grammars.find((g) => g.language === "prop");
check(gram, "no grammar contributed for `prop`");
const grammar = JSON.parse(read(gram.path));
check(grammar.scopeName === gram.scopeName, `grammar scopeName ${grammar.scopeName} != ${gram.scopeName}`);
for (const [name, rule] of Object.entries(grammar.repository)) {
  for (const p of rule.patterns ?? []) {
    if (p.include?.startsWith("#")) check(p.include.slice(1) in grammar.repository, `#${name} includes missing ${p.include}`);
  }
}

// ---- the language configuration
const conf = JSON.parse(read(lang.configuration));
check(conf.comments.lineComment === "//", "line comment is not `//`");
check(JSON.stringify(conf.comments.blockComment) === '["/*","*/"]', "block comment is not `/* */`");
const inc = new RegExp(conf.indentationRules.increaseIndentPattern);
const dec = new RegExp(conf.indentationRules.decreaseIndentPattern);
const indents = ["property p =", "  forall x, y in X.", "query q =  // comment", "  a and", "  x <= y =>", "let v = ["];
const flat = ["x == y", "x <= y", "forall j in 0..", "import std.relations", "// p =", "property p = true", "let a = b.c"];
for (const l of indents) check(inc.test(l), `no indent after ${JSON.stringify(l)}`);
for (const l of flat) check(!inc.test(l), `indent after ${JSON.stringify(l)}`);
check(dec.test("  )") && !dec.test("  x)"), "decreaseIndentPattern");
const doc = conf.onEnterRules.find((r) => r.action.appendText === "/// ");
check(doc && new RegExp(doc.beforeText).test("/// doc") && !new RegExp(doc.beforeText).test("//// no"), "`///` continuation rule");

// ---- settings and command used by src/extension.ts are contributed
const src = read("src/extension.ts");
const props = pkg.contributes.configuration.properties;
for (const m of src.matchAll(/getConfiguration\("([\w.]+)"\)/g)) {
  const section = m[1];
  for (const k of src.matchAll(/config\.get<[^>]+>\("(\w+)"/g)) {
    check(`${section}.${k[1]}` in props, `setting ${section}.${k[1]} is read but not contributed`);
  }
}
check(props["propc.server.path"]?.default === "propc", "propc.server.path must default to `propc`");
check(Array.isArray(props["propc.server.extraArgs"]?.default), "propc.server.extraArgs must default to []");
for (const c of pkg.contributes.commands) check(src.includes(`"${c.command}"`), `command ${c.command} is not registered`);
check(/args: \["lsp"/.test(src), "the server is not started with the `lsp` argument");

// ---- versions: @types/vscode must not be newer than engines.vscode (vsce refuses it)
const engine = pkg.engines.vscode.replace(/^[\^~]/, "").split(".").map(Number);
const lock = JSON.parse(read("package-lock.json"));
const types = lock.packages["node_modules/@types/vscode"].version.split(".").map(Number);
check(types[0] === engine[0] && types[1] <= engine[1], `@types/vscode ${types.join(".")} is newer than engines.vscode ${pkg.engines.vscode}`);
const client = lock.packages["node_modules/vscode-languageclient"];
const clientEngine = client.engines.vscode.replace(/^[\^~]/, "").split(".").map(Number);
check(clientEngine[1] <= engine[1], `vscode-languageclient ${client.version} needs vscode ${client.engines.vscode}`);

// ---- the bundle loads with a stub `vscode` and exports activate/deactivate
const main = path.join(ext, pkg.main);
if (!fs.existsSync(main)) {
  check(false, `${pkg.main} is missing: run \`npm run build\` first`);
} else {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === "vscode" ? "vscode" : resolve.call(this, request, ...rest);
  };
  // Every member of the stub is the stub: a constructible, callable, extendable function.
  const stub = new Proxy(function () {}, {
    get: (target, key) => (key === "prototype" ? target.prototype : typeof key === "symbol" ? undefined : stub),
    construct: () => ({}),
    apply: () => stub,
  });
  Module._cache.vscode = { id: "vscode", filename: "vscode", loaded: true, exports: stub };
  try {
    const bundle = createRequire(import.meta.url)(main);
    check(typeof bundle.activate === "function", "the bundle exports no activate()");
    check(typeof bundle.deactivate === "function", "the bundle exports no deactivate()");
  } catch (err) {
    check(false, `the bundle does not load: ${String(err).slice(0, 300)}`);
  } finally {
    Module._resolveFilename = resolve;
    delete Module._cache.vscode;
  }
}

console.log(`manifest.mjs: ${checks} checks, ${failures.length} failure(s)`);
for (const f of failures) console.error(`  FAIL ${f}`);
process.exit(failures.length === 0 ? 0 : 1);
