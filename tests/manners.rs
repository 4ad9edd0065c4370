//! CLI manners: shell completions for every shell clap_complete knows, a man page, and
//! `--color` with NO_COLOR, CLICOLOR_FORCE and TERM=dumb as the conventions have them.

use assert_cmd::Command;

fn synack() -> Command {
    let mut c = Command::cargo_bin("synack").expect("binary");
    c.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("TERM")
        .env_remove("COLUMNS");
    c
}

fn out(c: &mut Command) -> String {
    let o = c.output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn completions_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _synack"),
        ("zsh", "#compdef synack"),
        ("fish", "complete -c synack"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[synack]"),
    ] {
        let text = out(synack().args(["completions", shell]));
        assert!(text.contains(marker), "{shell}");
        // Every command and a few options are offered.
        for word in ["report", "lint", "show", "explain", "max-connections"] {
            assert!(text.contains(word), "{shell}: {word}");
        }
    }
    // bash can read it.
    if std::process::Command::new("bash")
        .arg("--version")
        .output()
        .is_ok()
    {
        let text = out(synack().args(["completions", "bash"]));
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("synack.bash");
        std::fs::write(&f, text).unwrap();
        let st = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("source {} && complete -p synack", f.display()))
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    }
}

#[test]
fn a_man_page() {
    let text = out(synack().arg("man"));
    assert!(text.contains(".TH synack 1"));
    for word in ["report", "lint", "show", "completions"] {
        assert!(text.contains(word), "{word}");
    }
    // man can format it, where it is installed.
    if std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_ok()
    {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("synack.1");
        std::fs::write(&f, &text).unwrap();
        let o = std::process::Command::new("man")
            .args(["-l", "-P", "cat"])
            .arg(&f)
            .env("MANWIDTH", "80")
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&o.stdout).contains("SYNOPSIS"));
    } else {
        {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: man not found (the page is checked as text only)"
            );
        }
    }
}

/// In a pipe: no colour unless forced; forced by --color always or CLICOLOR_FORCE, which
/// --color never and NO_COLOR... override as the conventions say.
#[test]
fn color_choices() {
    let cap = "testdata/kernel/final-ack-dropped.pcap";
    let coloured = |c: &mut Command| out(c).contains('\x1b');
    assert!(!coloured(synack().args(["show", cap, "--conn", "1"])));
    assert!(coloured(
        synack().args(["show", cap, "--conn", "1", "--color", "always"])
    ));
    assert!(coloured(
        synack()
            .env("CLICOLOR_FORCE", "1")
            .args(["show", cap, "--conn", "1"])
    ));
    assert!(!coloured(
        synack()
            .env("CLICOLOR_FORCE", "1")
            .args(["--color", "never", "show", cap, "--conn", "1"])
    ));
    assert!(coloured(
        synack().args(["report", cap, "--color", "always"])
    ));
    assert!(!coloured(
        synack().env("CLICOLOR_FORCE", "0").args(["report", cap])
    ));
    // lint (exit 1 here: findings) colours its human output the same way.
    let lint = synack()
        .args(["lint", cap, "--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&lint.stdout).contains('\x1b'));
    // On a terminal (a pseudo-terminal from util-linux's `script`), TERM=dumb turns it off.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: util-linux `script` not found (no pseudo-terminal)"
            );
        }
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("synack");
    let on_tty = |term: &str| {
        let o = std::process::Command::new("script")
            .args([
                "-qec",
                &format!("{} show {cap} --conn 1", bin.display()),
                "/dev/null",
            ])
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env("TERM", term)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).contains('\x1b')
    };
    assert!(on_tty("xterm-256color"));
    assert!(!on_tty("dumb"));
}

/// Help says what `--state` matches and shows the defaults that are not clap's own.
#[test]
fn help_texts() {
    let report = out(synack().args(["report", "--help"]));
    assert!(
        report.contains("at their end"),
        "--state: the state at the end"
    );
    for d in [
        "[default: table]",
        "[default: 20]",
        "[default: 60s]",
        "[default: 5m]",
        "[default: 1000000]",
    ] {
        assert!(report.contains(d), "report --help: {d}");
    }
    let lint = out(synack().args(["lint", "--help"]));
    for d in ["[default: human]", "[default: warning]", "[default: 10]"] {
        assert!(lint.contains(d), "lint --help: {d}");
    }
    let show = out(synack().args(["show", "--help"]));
    assert!(show.contains("[default: text]"));
}
