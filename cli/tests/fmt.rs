//! `propc fmt` end to end: `--check` exit codes (0 formatted, 1 would change, 2 syntax
//! error), in-place rewriting, and directories walked recursively.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn propc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_propc"))
        .args(args)
        .output()
        .expect("propc runs")
}

/// A fresh temporary directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("propc-fmt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("writes");
}

const FORMATTED: &str = "network f : Real[2] -> Real[1]\n\nproperty p = forall x in box(zeros(2), ones(2)). f(x)[0] <= 1\n";
const MESSY: &str =
    "network f:Real[2]->Real[1]\nproperty p=forall x in box(zeros(2),ones(2)).f(x)[0]<=1";
const BROKEN: &str = "network f : Real[2] ->\nproperty p = forall x in . 1\n";

#[test]
fn check_exits_0_when_formatted() {
    let dir = temp_dir("ok");
    let file = dir.join("ok.prop");
    write(&file, FORMATTED);
    let out = propc(&["fmt", "--check", file.to_str().expect("utf-8")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn check_exits_1_and_names_the_file_when_it_would_change() {
    let dir = temp_dir("messy");
    let file = dir.join("messy.prop");
    write(&file, MESSY);
    let out = propc(&["fmt", "--check", file.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("messy.prop"), "{stdout}");
    assert!(stdout.contains("-network f:Real[2]->Real[1]"), "{stdout}");
    assert!(
        stdout.contains("+network f : Real[2] -> Real[1]"),
        "{stdout}"
    );
    // --check never writes.
    assert_eq!(std::fs::read_to_string(&file).expect("reads"), MESSY);
}

#[test]
fn check_exits_2_on_syntax_errors() {
    let dir = temp_dir("broken");
    let file = dir.join("broken.prop");
    write(&file, BROKEN);
    let out = propc(&["fmt", "--check", file.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("E0001") && stderr.contains("broken.prop"),
        "{stderr}"
    );
    // Without --check, a broken file is left untouched too.
    let out = propc(&["fmt", file.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&file).expect("reads"), BROKEN);
}

#[test]
fn rewrites_every_prop_file_of_a_directory() {
    let dir = temp_dir("dir");
    std::fs::create_dir_all(dir.join("sub")).expect("sub dir");
    write(&dir.join("a.prop"), MESSY);
    write(&dir.join("sub/b.prop"), MESSY);
    write(&dir.join("notes.txt"), MESSY);
    let out = propc(&["fmt", dir.to_str().expect("utf-8")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("a.prop")).expect("reads"),
        FORMATTED
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("sub/b.prop")).expect("reads"),
        FORMATTED
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).expect("reads"),
        MESSY
    );
    let out = propc(&["fmt", "--check", dir.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0));
}
