//! The server loop: JSON-RPC over a connection, documents by URI, requests dispatched
//! to [`features`].
//!
//! Takes: an `lsp_server::Connection` (stdio for `propc lsp`, in memory for benchmarks).
//! Gives: the `initialize` handshake with the server's capabilities, then one answer per
//! request and `publishDiagnostics` after every didOpen/didChange; returns at `exit`.
//! Invariant: messages are handled in order on one thread; a request the server does not
//! know, or with bad parameters, gets an error response, never a panic.

use std::collections::HashMap;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, Request as _,
    SemanticTokensFullRequest,
};
use lsp_types::{
    CompletionOptions, CompletionParams, CompletionResponse, DocumentFormattingParams,
    DocumentSymbolParams, DocumentSymbolResponse, GotoDefinitionParams, GotoDefinitionResponse,
    HoverParams, HoverProviderCapability, OneOf, PublishDiagnosticsParams, SaveOptions,
    SemanticTokensFullOptions, SemanticTokensOptions, SemanticTokensParams, SemanticTokensResult,
    SemanticTokensServerCapabilities, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
};
use serde_json::Value;

use crate::document::Document;
use crate::features::{self, Env};
use crate::{semantic, stdlib};

pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..Default::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["[".into()]),
            ..Default::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: semantic::legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: None,
                ..Default::default()
            },
        )),
        ..Default::default()
    }
}

/// Serves `propc lsp` on stdin/stdout until the client says `exit`.
pub fn run_stdio() -> Result<(), String> {
    let (connection, io) = Connection::stdio();
    run(connection)?;
    io.join().map_err(|e| format!("language server I/O: {e}"))
}

/// Serves one client on `connection`: the handshake, then messages until `exit`.
pub fn run(connection: Connection) -> Result<(), String> {
    let init = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": ServerInfo { name: "propc".into(), version: Some(env!("CARGO_PKG_VERSION").into()) },
    });
    let (id, _params) = connection
        .initialize_start()
        .map_err(|e| format!("initialize: {e}"))?;
    connection
        .initialize_finish(id, init)
        .map_err(|e| format!("initialize: {e}"))?;
    let mut server = Server {
        env: Env {
            stdlib_dir: stdlib::materialize(),
        },
        docs: HashMap::new(),
    };
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection
                    .handle_shutdown(&req)
                    .map_err(|e| e.to_string())?
                {
                    return Ok(());
                }
                let resp = server.request(req);
                send(&connection, Message::Response(resp))?;
            }
            Message::Notification(n) => {
                for out in server.notification(n) {
                    send(&connection, Message::Notification(out))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn send(connection: &Connection, msg: Message) -> Result<(), String> {
    connection
        .sender
        .send(msg)
        .map_err(|e| format!("the client is gone: {e}"))
}

struct Server {
    env: Env,
    docs: HashMap<Uri, Document>,
}

fn params<P: serde::de::DeserializeOwned>(id: &RequestId, v: Value) -> Result<P, Response> {
    serde_json::from_value(v)
        .map_err(|e| Response::new_err(id.clone(), ErrorCode::InvalidParams as i32, e.to_string()))
}

impl Server {
    fn doc(&self, id: &RequestId, uri: &Uri) -> Result<&Document, Response> {
        self.docs.get(uri).ok_or_else(|| {
            Response::new_err(
                id.clone(),
                ErrorCode::InvalidParams as i32,
                format!("`{}` is not open", uri.as_str()),
            )
        })
    }

    fn request(&mut self, req: Request) -> Response {
        match self.answer(&req.id, &req.method, req.params) {
            Ok(v) => Response::new_ok(req.id, v),
            Err(r) => r,
        }
    }

    fn answer(&mut self, id: &RequestId, method: &str, p: Value) -> Result<Value, Response> {
        let json = |v: Result<Value, serde_json::Error>| {
            v.map_err(|e| {
                Response::new_err(id.clone(), ErrorCode::InternalError as i32, e.to_string())
            })
        };
        match method {
            HoverRequest::METHOD => {
                let p: HoverParams = params(id, p)?;
                let d = self.doc(id, &p.text_document_position_params.text_document.uri)?;
                json(serde_json::to_value(features::hover(
                    d,
                    p.text_document_position_params.position,
                )))
            }
            GotoDefinition::METHOD => {
                let p: GotoDefinitionParams = params(id, p)?;
                let d = self.doc(id, &p.text_document_position_params.text_document.uri)?;
                let r =
                    features::definition(&self.env, d, p.text_document_position_params.position)
                        .map(GotoDefinitionResponse::Scalar);
                json(serde_json::to_value(r))
            }
            Completion::METHOD => {
                let p: CompletionParams = params(id, p)?;
                let d = self.doc(id, &p.text_document_position.text_document.uri)?;
                json(serde_json::to_value(Some(CompletionResponse::Array(
                    features::completion(d, p.text_document_position.position),
                ))))
            }
            DocumentSymbolRequest::METHOD => {
                let p: DocumentSymbolParams = params(id, p)?;
                let d = self.doc(id, &p.text_document.uri)?;
                json(serde_json::to_value(Some(DocumentSymbolResponse::Nested(
                    features::document_symbols(d),
                ))))
            }
            Formatting::METHOD => {
                let p: DocumentFormattingParams = params(id, p)?;
                let d = self.doc(id, &p.text_document.uri)?;
                json(serde_json::to_value(Some(features::formatting(d))))
            }
            SemanticTokensFullRequest::METHOD => {
                let p: SemanticTokensParams = params(id, p)?;
                let d = self.doc(id, &p.text_document.uri)?;
                json(serde_json::to_value(Some(SemanticTokensResult::Tokens(
                    features::semantic_tokens(d),
                ))))
            }
            _ => Err(Response::new_err(
                id.clone(),
                ErrorCode::MethodNotFound as i32,
                format!("unsupported request `{method}`"),
            )),
        }
    }

    fn notification(&mut self, n: Notification) -> Vec<Notification> {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let uri = p.text_document.uri;
                let doc =
                    Document::open(uri.clone(), p.text_document.version, &p.text_document.text);
                self.docs.insert(uri.clone(), doc);
                self.publish(&uri).into_iter().collect()
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let uri = p.text_document.uri;
                let Some(doc) = self.docs.get_mut(&uri) else {
                    return Vec::new();
                };
                doc.change(p.text_document.version, p.content_changes);
                self.publish(&uri).into_iter().collect()
            }
            DidSaveTextDocument::METHOD => {
                // A saved file may be imported by others: start their sessions afresh.
                let uris: Vec<Uri> = self.docs.keys().cloned().collect();
                let mut out = Vec::new();
                for uri in uris {
                    if let Some(d) = self.docs.get_mut(&uri) {
                        d.reload();
                    }
                    out.extend(self.publish(&uri));
                }
                out
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                self.docs.remove(&p.text_document.uri);
                let clear = PublishDiagnosticsParams {
                    uri: p.text_document.uri,
                    diagnostics: Vec::new(),
                    version: None,
                };
                vec![Notification::new(PublishDiagnostics::METHOD.into(), clear)]
            }
            _ => Vec::new(),
        }
    }

    fn publish(&self, uri: &Uri) -> Option<Notification> {
        let doc = self.docs.get(uri)?;
        let params = PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics: features::diagnostics(&self.env, doc),
            version: Some(doc.version),
        };
        Some(Notification::new(PublishDiagnostics::METHOD.into(), params))
    }
}
