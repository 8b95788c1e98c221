// The propc extension: starts `propc lsp` (stdio) as the language server of `.prop` files.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

/** `propc lsp` from the settings `propc.server.path` and `propc.server.extraArgs`. */
function serverCommand(): { command: string; args: string[] } {
  const config = vscode.workspace.getConfiguration("propc.server");
  const command = config.get<string>("path", "propc").trim() || "propc";
  return { command, args: ["lsp", ...config.get<string[]>("extraArgs", [])] };
}

async function start(): Promise<void> {
  output ??= vscode.window.createOutputChannel("propc");
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "prop" },
      { scheme: "untitled", language: "prop" },
    ],
    outputChannel: output,
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.prop"),
    },
  };
  const { command, args } = serverCommand();
  const run = { command, args, transport: TransportKind.stdio };
  const serverOptions: ServerOptions = { run, debug: run };
  client = new LanguageClient("propc", "propc language server", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (err) {
    void vscode.window.showErrorMessage(
      `propc: could not start the language server \`${command} lsp\` (${String(err)}). ` +
        "Set `propc.server.path` to the propc executable.",
    );
  }
}

async function stop(): Promise<void> {
  const c = client;
  client = undefined;
  if (c?.isRunning()) {
    await c.stop();
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("propc.restartServer", async () => {
      await stop();
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("propc.server")) {
        await stop();
        await start();
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}
