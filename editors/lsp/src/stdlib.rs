//! The embedded standard library as files an editor can open.
//!
//! Takes: [`propc_compiler::STDLIB`] (module names and texts).
//! Gives: the directory `$XDG_CACHE_HOME/propc/stdlib` (or `~/.cache/propc/stdlib`, or
//! the temp dir) holding `<module>.prop` for every module, and the mapping between the
//! compiler's file names (`<std/relations.prop>`) and modules.
//! Invariant: a file is rewritten only when its text differs from the embedded one, so
//! the files always show exactly what the compiler reads.

use std::path::{Path, PathBuf};

use propc_compiler::STDLIB;

fn cache_root() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x);
    }
    if let Some(h) = std::env::var_os("HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(h).join(".cache");
    }
    std::env::temp_dir()
}

/// Writes the stdlib files (when missing or stale) and gives their directory.
pub fn materialize() -> Option<PathBuf> {
    let candidates = [
        cache_root().join("propc").join("stdlib"),
        std::env::temp_dir().join("propc-stdlib"),
    ];
    candidates.into_iter().find(|dir| write_all(dir).is_ok())
}

fn write_all(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (module, text) in STDLIB {
        let path = dir.join(format!("{module}.prop"));
        if std::fs::read_to_string(&path).ok().as_deref() != Some(*text) {
            std::fs::write(&path, text)?;
        }
    }
    Ok(())
}

/// The module of a compiler file name: `<std/relations.prop>` → `std.relations`.
pub fn module_of_file_name(name: &str) -> Option<String> {
    let inner = name
        .strip_prefix('<')?
        .strip_suffix('>')?
        .strip_suffix(".prop")?;
    let module = inner.replace('/', ".");
    STDLIB.iter().any(|(m, _)| *m == module).then_some(module)
}
