//! The language server through a real client: `propc lsp` spawned as a child process,
//! JSON-RPC with Content-Length framing over its stdin/stdout, every feature exercised
//! (diagnostics, hover, definition, completion, symbols, formatting, semantic tokens)
//! and the replies snapshotted. Machine-dependent paths (the temp dir holding the specs
//! and the stdlib cache) are redacted to `[TMP]`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

const MAIN: &str = r#"import std.relations

/// A small regression network.
network f : Real[3] -> Real[2]

param eps : Real = 0.05

let n = 3
let X = box(zeros(n), ones(n))

/// `x` and `y` are within `d` of each other.
def close(x: Real[k], y: Real[k], d: Real) : Bool = norm_inf(x - y) <= d

/// Output 0 grows with input 0.
property mono = monotone(f, X, 0, 0)

property fair =
  forall x, y in X where agree_except(x, y, [2]).
    close(x, y, 0.1) => abs(f(x)[0] - f(y)[0]) <= eps

query worst = maximize f(x)[1] over x in X
"#;

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    stash: Vec<Value>,
    dir: PathBuf,
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    /// Spawns `propc lsp` with its own temp dir (specs and stdlib cache), initialized.
    fn start(name: &str) -> (Client, Value) {
        let dir =
            std::env::temp_dir().join(format!("propc-lsp-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_propc"))
            .arg("lsp")
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn propc lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(v) = read_message(&mut r) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let mut c = Client {
            child,
            stdin,
            rx,
            next_id: 0,
            stash: Vec::new(),
            dir,
        };
        let init = c.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": {} }),
        );
        c.notify("initialized", json!({}));
        (c, init)
    }

    fn send(&mut self, v: Value) {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn recv(&mut self) -> Value {
        self.rx
            .recv_timeout(Duration::from_secs(60))
            .expect("a message from the server within 60 s")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let m = self.recv();
            if m.get("id") == Some(&json!(id)) && m.get("method").is_none() {
                assert!(m.get("error").is_none(), "{method} failed: {m}");
                return m["result"].clone();
            }
            self.stash.push(m);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The next `publishDiagnostics` for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Value {
        let is_it = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        };
        if let Some(i) = self.stash.iter().position(is_it) {
            return self.stash.remove(i)["params"].clone();
        }
        loop {
            let m = self.recv();
            if is_it(&m) {
                return m["params"].clone();
            }
            self.stash.push(m);
        }
    }

    fn write(&self, name: &str, text: &str) -> (PathBuf, String) {
        let path = self.dir.join(name);
        std::fs::write(&path, text).expect("write spec");
        let uri = format!("file://{}", path.display());
        (path, uri)
    }

    fn open(&mut self, name: &str, text: &str) -> String {
        let (_, uri) = self.write(name, text);
        self.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "prop", "version": 1, "text": text } }));
        uri
    }

    /// Redacts the machine's paths and pretty-prints.
    fn show(&self, v: &Value) -> String {
        let s = serde_json::to_string_pretty(v).expect("json");
        s.replace(&self.dir.display().to_string(), "[TMP]")
    }

    fn finish(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r, Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "propc lsp exited with {status}");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The position of the `nth` (0-based) occurrence of `needle` in `text`, plus `delta`
/// characters.
fn pos(text: &str, needle: &str, nth: usize, delta: usize) -> Value {
    let at = text
        .match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .expect("needle in text")
        + delta;
    let before = &text[..at];
    let line = before.matches('\n').count();
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0);
    json!({ "line": line, "character": col })
}

fn at(uri: &str, p: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": p })
}

#[test]
fn initialize_and_shutdown() {
    let (c, init) = Client::start("init");
    insta::assert_snapshot!("initialize", c.show(&init));
    c.finish();
}

#[test]
fn diagnostics_several_errors_then_fixed() {
    let (mut c, _) = Client::start("diags");
    let text = r#"network f : Real[3] -> Real[2]

let X = box(zeros(3), ones(3))
let Y = box(zeros(2), ones(2))

property typo = forall x in X. f(x)[0] <= epz

property shapes = forall y in Y. f(y)[0] >= 0

property nonlinear = forall x in X. f(x)[0] * f(x)[1] >= 0

property broken = forall x in X. f(x)[0] <=
"#;
    let uri = c.open("errors.prop", text);
    let d = c.diagnostics(&uri);
    assert!(
        d["diagnostics"].as_array().is_some_and(|a| a.len() >= 4),
        "{d}"
    );
    insta::assert_snapshot!("diagnostics_several", c.show(&d));

    // Fix everything with a full-text change: no diagnostics, the new version.
    let fixed = "network f : Real[3] -> Real[2]\nlet X = box(zeros(3), ones(3))\nproperty ok = forall x in X. f(x)[0] <= 1\n";
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": fixed }] }),
    );
    let d = c.diagnostics(&uri);
    assert_eq!(d, json!({ "uri": uri, "version": 2, "diagnostics": [] }));

    // A ranged (incremental) change breaking it again.
    let p = pos(fixed, "<= 1", 0, 3);
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 },
                "contentChanges": [{ "range": { "start": p, "end": p }, "text": "+ q" }] }),
    );
    let d = c.diagnostics(&uri);
    insta::assert_snapshot!("diagnostics_incremental", c.show(&d));
    c.finish();
}

#[test]
fn diagnostic_inside_the_stdlib() {
    let (mut c, _) = Client::start("stdlib-diag");
    let text = "import std.robustness\n\nnetwork f : Real[3] -> Real[2]\n\nproperty r = forall z in box(0, 1). local(f, [0.5, 0.5, 0.5], 0, z)\n";
    let uri = c.open("uses_stdlib.prop", text);
    let d = c.diagnostics(&uri);
    let related = d["diagnostics"][0]["relatedInformation"][0]["location"]["uri"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        related.ends_with("/cache/propc/stdlib/std.robustness.prop"),
        "{d}"
    );
    let path = related.trim_start_matches("file://");
    assert!(Path::new(path).is_file(), "the stdlib file is materialized");
    insta::assert_snapshot!("diagnostics_stdlib", c.show(&d));
    c.finish();
}

#[test]
fn hover() {
    let (mut c, _) = Client::start("hover");
    let uri = c.open("main.prop", MAIN);
    c.diagnostics(&uri);
    let cases = [
        ("network f at a call", pos(MAIN, "f(x)[0]", 0, 0)),
        ("let X at a use", pos(MAIN, "in X", 0, 3)),
        ("let n", pos(MAIN, "zeros(n)", 0, 6)),
        ("param eps", pos(MAIN, "<= eps", 0, 4)),
        ("def close", pos(MAIN, "close(x, y, 0.1)", 0, 1)),
        ("def parameter", pos(MAIN, "x - y", 0, 0)),
        ("dimension variable", pos(MAIN, "Real[k]", 0, 5)),
        ("quantified variable", pos(MAIN, "forall x", 0, 7)),
        ("query variable", pos(MAIN, "over x", 0, 5)),
        ("builtin abs", pos(MAIN, "abs(", 0, 1)),
        ("builtin norm_inf", pos(MAIN, "norm_inf", 0, 2)),
        ("stdlib def monotone", pos(MAIN, "monotone", 0, 3)),
        ("imported module", pos(MAIN, "relations", 0, 2)),
        ("property name", pos(MAIN, "mono =", 0, 1)),
        ("nothing (a number)", pos(MAIN, "0.1)", 0, 1)),
    ];
    let mut out = String::new();
    for (what, p) in cases {
        let h = c.request("textDocument/hover", at(&uri, p.clone()));
        let value = h["contents"]["value"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| h.to_string());
        out.push_str(&format!("=== {what} @ {p}\n{value}\n\n"));
    }
    insta::assert_snapshot!("hover", out);
    c.finish();
}

#[test]
fn definition() {
    let (mut c, _) = Client::start("definition");
    let uri = c.open("main.prop", MAIN);
    c.diagnostics(&uri);
    let cases = [
        ("network f", pos(MAIN, "f(x)[0]", 0, 0)),
        ("let X", pos(MAIN, "in X", 0, 3)),
        ("param eps", pos(MAIN, "<= eps", 0, 4)),
        ("def close", pos(MAIN, "close(x, y, 0.1)", 0, 1)),
        ("def parameter d", pos(MAIN, "<= d", 0, 3)),
        ("quantified y", pos(MAIN, "f(y)", 0, 2)),
        ("query variable", pos(MAIN, "f(x)[1]", 0, 2)),
        ("stdlib monotone", pos(MAIN, "monotone", 0, 0)),
        ("stdlib agree_except", pos(MAIN, "agree_except", 0, 0)),
        ("import", pos(MAIN, "std.relations", 0, 0)),
        ("builtin (none)", pos(MAIN, "abs", 0, 0)),
    ];
    let mut out = String::new();
    for (what, p) in cases {
        let d = c.request("textDocument/definition", at(&uri, p.clone()));
        out.push_str(&format!(
            "=== {what} @ {p}\n{}\n",
            serde_json::to_string(&d).expect("json")
        ));
        // Targets in the stdlib are real files holding the declaration.
        if let Some(u) = d["uri"].as_str().filter(|u| u.contains("/cache/")) {
            let text =
                std::fs::read_to_string(u.trim_start_matches("file://")).expect("stdlib file");
            let line = d["range"]["start"]["line"].as_u64().expect("line") as usize;
            out.push_str(&format!(
                "    line: {}\n",
                text.lines().nth(line).unwrap_or("")
            ));
        }
    }
    insta::assert_snapshot!(
        "definition",
        c.show(&Value::String(out))
            .trim_matches('"')
            .replace("\\n", "\n")
            .replace("\\\"", "\"")
    );
    c.finish();
}

fn completion_lines(v: &Value) -> String {
    let items = v.as_array().cloned().unwrap_or_default();
    items
        .iter()
        .map(|i| {
            format!(
                "{} | {} | {}",
                i["label"].as_str().unwrap_or(""),
                i["kind"],
                i["detail"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn completion() {
    let (mut c, _) = Client::start("completion");
    let uri = c.open("main.prop", MAIN);
    c.diagnostics(&uri);
    // Inside the body of `fair`: locals x, y first, then globals, builtins, keywords.
    let general = c.request("textDocument/completion", at(&uri, pos(MAIN, "abs(", 0, 0)));
    insta::assert_snapshot!("completion_general", completion_lines(&general));
    // Inside `close`: its parameters and dimension variable.
    let in_def = c.request(
        "textDocument/completion",
        at(&uri, pos(MAIN, "norm_inf", 0, 0)),
    );
    let lines = completion_lines(&in_def);
    let head: Vec<&str> = lines.lines().take(4).collect();
    insta::assert_snapshot!("completion_in_def", head.join("\n"));
    // After `f(x)[`: the output indices of `f`.
    let edited = MAIN.replace(
        "query worst",
        "property p = forall x in X. f(x)[\nquery worst",
    );
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": edited }] }),
    );
    c.diagnostics(&uri);
    let idx = c.request(
        "textDocument/completion",
        at(&uri, pos(&edited, "f(x)[\n", 0, 5)),
    );
    insta::assert_snapshot!("completion_indices", completion_lines(&idx));
    c.finish();
}

#[test]
fn document_symbols() {
    let (mut c, _) = Client::start("symbols");
    let uri = c.open("main.prop", MAIN);
    c.diagnostics(&uri);
    let s = c.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let lines: Vec<String> = s
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .flat_map(|x| {
            let mut v = vec![format!(
                "{} (kind {}) line {} : {}",
                x["name"].as_str().unwrap_or(""),
                x["kind"],
                x["selectionRange"]["start"]["line"],
                x["detail"].as_str().unwrap_or("")
            )];
            for ch in x["children"].as_array().cloned().unwrap_or_default() {
                v.push(format!(
                    "  {} (kind {}) : {}",
                    ch["name"].as_str().unwrap_or(""),
                    ch["kind"],
                    ch["detail"].as_str().unwrap_or("")
                ));
            }
            v
        })
        .collect();
    insta::assert_snapshot!("document_symbols", lines.join("\n"));
    c.finish();
}

#[test]
fn formatting() {
    let (mut c, _) = Client::start("formatting");
    let messy = "network   f : Real[3]->Real[2]\nlet X=box(zeros(3),ones(3))\nproperty   p = forall x in X .f(x)[0]<=1\n";
    let uri = c.open("messy.prop", messy);
    c.diagnostics(&uri);
    let edits = c.request("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }));
    insta::assert_snapshot!("formatting", c.show(&edits));
    c.finish();
}

#[test]
fn semantic_tokens() {
    let (mut c, init) = Client::start("tokens");
    let legend = init["capabilities"]["semanticTokensProvider"]["legend"].clone();
    let types: Vec<String> = legend["tokenTypes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|t| t.as_str().unwrap_or("").to_string())
        .collect();
    let mods: Vec<String> = legend["tokenModifiers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|t| t.as_str().unwrap_or("").to_string())
        .collect();
    let uri = c.open("main.prop", MAIN);
    c.diagnostics(&uri);
    let t = c.request(
        "textDocument/semanticTokens/full",
        json!({ "textDocument": { "uri": uri } }),
    );
    let data: Vec<u64> = t["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert_eq!(data.len() % 5, 0);
    // Decode into `line:col text type modifiers`.
    let lines: Vec<&str> = MAIN.lines().collect();
    let (mut line, mut col) = (0u64, 0u64);
    let mut out = Vec::new();
    for tok in data.chunks(5) {
        if tok[0] > 0 {
            line += tok[0];
            col = tok[1];
        } else {
            col += tok[1];
        }
        let text: String = lines
            .get(line as usize)
            .unwrap_or(&"")
            .chars()
            .skip(col as usize)
            .take(tok[2] as usize)
            .collect();
        let m: Vec<&str> = (0..mods.len())
            .filter(|b| tok[4] & (1 << b) != 0)
            .map(|b| mods[b].as_str())
            .collect();
        out.push(format!(
            "{line}:{col} {text:?} {} {}",
            types
                .get(tok[3] as usize)
                .map(String::as_str)
                .unwrap_or("?"),
            m.join(",")
        ));
    }
    insta::assert_snapshot!("semantic_tokens", out.join("\n"));
    c.finish();
}

#[test]
fn path_import_with_a_broken_file() {
    let (mut c, _) = Client::start("path-import");
    c.write(
        "defs.prop",
        "/// Half the sum.\ndef mid(a: Real, b: Real) : Real = (a + b) / 2\n",
    );
    let text = "import \"defs.prop\"\n\nnetwork f : Real[1] -> Real[1]\n\nproperty p = forall x in box(0, 1). f([mid(x, 1)])[0] >= 0\n\nproperty q = forall x in box(0, 1). f(x)[0] >=\n";
    let uri = c.open("main.prop", text);
    let d = c.diagnostics(&uri);
    let codes: Vec<&str> = d["diagnostics"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["code"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(codes, ["E0002"], "{d}");
    let def = c.request("textDocument/definition", at(&uri, pos(text, "mid(", 0, 1)));
    let hover = c.request("textDocument/hover", at(&uri, pos(text, "mid(", 0, 1)));
    let module = c.request("textDocument/hover", at(&uri, pos(text, "defs.prop", 0, 1)));
    let out = format!(
        "{}\n{}\n{}",
        c.show(&def),
        hover["contents"]["value"].as_str().unwrap_or(""),
        module["contents"]["value"].as_str().unwrap_or("")
    );
    insta::assert_snapshot!("path_import", out);
    c.finish();
}
