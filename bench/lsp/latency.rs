//! Keystroke latency of the language server: didChange → publishDiagnostics on a
//! generated 1,000-line spec (150 properties over two networks, stdlib imports, `def`s,
//! a dataset).
//!
//! Takes: nothing (`cargo run --release -p propc-lsp --example lsp_latency`; an optional
//! argument gives the number of keystrokes, default 200).
//! Gives: min / median / p95 / max latency, for ranged (incremental) edits and for
//! full-text edits, printed as a Markdown table.
//! Invariant: the server runs its real loop (`propc_lsp::run`) on an in-memory
//! connection; timing covers JSON (de)serialization, the edit, the compiler's check and
//! the diagnostics conversion — everything but the pipe.

use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

/// A spec of about `lines` lines.
fn spec(properties: usize) -> String {
    let mut s = String::new();
    s.push_str("// Generated for the LSP latency benchmark.\nimport std.relations\nimport std.robustness\n\n");
    s.push_str("/// The model under test.\nnetwork f : Real[8] -> Real[4]\n\n/// A compressed version of it.\nnetwork g : Real[8] -> Real[4]\n\n");
    s.push_str("dataset test : (Real[8], Class[4])\n\nparam eps : Real = 0.05\nparam delta : Real = 0.01\n\n");
    s.push_str("let n = 8\nlet X = box(zeros(n), ones(n))\nlet C = ball(0.5 * ones(n), 0.1)\n\n");
    s.push_str("/// Two points within `d` of each other.\ndef close(x: Real[k], y: Real[k], d: Real) : Bool =\n  norm_inf(x - y) <= d\n\n");
    for i in 0..properties {
        let (a, b) = (i % 8, (i / 8) % 4);
        s.push_str(&format!(
            "/// Generated property {i} of {properties}.\n///\n"
        ));
        match i % 5 {
            0 => s.push_str(&format!(
                "/// Property {i}: output {b} grows with input {a}.\nproperty p{i} =\n  monotone(f, X, {a}, {b})\n\n"
            )),
            1 => s.push_str(&format!(
                "/// Property {i}: bounded output {b} on the box.\nproperty p{i} =\n  forall x in X.\n    f(x)[{b}] <= 10 + {i}\n\n"
            )),
            2 => s.push_str(&format!(
                "/// Property {i}: `f` and `g` agree near the centre.\nproperty p{i} =\n  forall x in C.\n    abs(f(x)[{b}] - g(x)[{b}]) <= eps\n\n"
            )),
            3 => s.push_str(&format!(
                "/// Property {i}: robustness around the samples.\nproperty p{i} =\n  for (x0, c) in test.\n    local(f, x0, c, delta)\n\n"
            )),
            _ => s.push_str(&format!(
                "/// Property {i}: close inputs, close outputs.\nproperty p{i} =\n  forall x, y in X where close(x, y, 0.01).\n    f(x)[{b}] - f(y)[{b}] <= 0.5\n\n"
            )),
        }
    }
    s
}

struct Client {
    conn: Connection,
    next: i32,
}

impl Client {
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        self.conn
            .sender
            .send(Message::Request(Request::new(
                id.clone(),
                method.into(),
                params,
            )))
            .expect("send");
        loop {
            match self
                .conn
                .receiver
                .recv_timeout(Duration::from_secs(60))
                .expect("answer")
            {
                Message::Response(r) if r.id == id => {
                    return r.response_result.unwrap_or(Value::Null);
                }
                _ => {}
            }
        }
    }

    fn notify(&self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Message::Notification(Notification::new(
                method.into(),
                params,
            )))
            .expect("send");
    }

    /// Waits for the diagnostics of `version`; gives how many there are.
    fn diagnostics(&self, version: i32) -> usize {
        loop {
            if let Message::Notification(n) = self
                .conn
                .receiver
                .recv_timeout(Duration::from_secs(60))
                .expect("diagnostics")
                && n.method == "textDocument/publishDiagnostics"
                && n.params["version"] == json!(version)
            {
                return n.params["diagnostics"]
                    .as_array()
                    .map(Vec::len)
                    .unwrap_or(0);
            }
        }
    }
}

fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    println!(
        "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
        v.len(),
        ms(v[0]),
        ms(q(0.5)),
        ms(q(0.95)),
        ms(v[v.len() - 1])
    );
}

fn main() {
    let keystrokes: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let text = spec(150);
    let lines = text.lines().count();
    let (server, client) = Connection::memory();
    let handle = std::thread::spawn(move || propc_lsp::run(server));
    let mut c = Client {
        conn: client,
        next: 0,
    };
    c.request("initialize", json!({ "capabilities": {} }));
    c.notify("initialized", json!({}));
    let uri = "untitled:bench.prop";
    let t = Instant::now();
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "prop", "version": 1, "text": text } }),
    );
    let n = c.diagnostics(1);
    println!(
        "spec: {lines} lines, {} bytes; didOpen → diagnostics: {:.2} ms ({n} diagnostics)\n",
        text.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    assert_eq!(n, 0, "the generated spec checks cleanly");

    // Typing in the middle of the file: `10 + 7` → `10 + 71` → `10 + 7` ... (ranged edits).
    let line = text
        .lines()
        .position(|l| l.contains("<= 10 + 76"))
        .expect("a bounded property") as u32;
    let col = text
        .lines()
        .nth(line as usize)
        .and_then(|l| l.find("76"))
        .expect("col") as u32
        + 2;
    let mut version = 1;
    let mut ranged = Vec::new();
    let mut full = Vec::new();
    let mut current = text.clone();
    for k in 0..keystrokes {
        version += 1;
        let (range, insert) = if k % 2 == 0 {
            (
                json!({ "start": { "line": line, "character": col }, "end": { "line": line, "character": col } }),
                "1",
            )
        } else {
            (
                json!({ "start": { "line": line, "character": col }, "end": { "line": line, "character": col + 1 } }),
                "",
            )
        };
        let t = Instant::now();
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "range": range, "text": insert }] }),
        );
        c.diagnostics(version);
        ranged.push(t.elapsed());
    }
    for k in 0..keystrokes {
        version += 1;
        // Full sync: the whole text each time, alternately with a typo (an error to report).
        current = if k % 2 == 0 {
            text.replace("<= 10 + 76", "<= 10 + 76 +")
        } else {
            text.clone()
        };
        let t = Instant::now();
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": current }] }),
        );
        c.diagnostics(version);
        full.push(t.elapsed());
    }
    println!(
        "| edit | keystrokes | min ms | median ms | p95 ms | max ms |\n| --- | --- | --- | --- | --- | --- |"
    );
    stats("ranged (incremental sync)", ranged);
    stats("full text, alternating a syntax error", full);
    let _ = current;
    c.request("shutdown", Value::Null);
    c.notify("exit", Value::Null);
    match handle.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("server: {e}"),
        Err(_) => eprintln!("server panicked"),
    }
}
