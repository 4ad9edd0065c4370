//! The repository stands alone: the user contract is in docs/ (equal to ../shared/CONTRACT.md
//! when that is beside the repository: without it, that part is skipped, saying so), README and
//! docs link nothing outside the repository, and the licences Cargo.toml declares are there.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_contract_copy_is_the_contract() {
    let shared = root().join("../shared/CONTRACT.md");
    let Ok(theirs) = std::fs::read_to_string(&shared) else {
        {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: ../shared/CONTRACT.md not found (docs/CONTRACT.md is the copy)"
            );
        }
        return;
    };
    let ours = std::fs::read_to_string(root().join("docs/CONTRACT.md")).unwrap();
    assert!(
        ours == theirs,
        "docs/CONTRACT.md differs from ../shared/CONTRACT.md: copy it again"
    );
}

#[test]
fn readme_and_docs_link_only_inside() {
    let mut files = vec![root().join("README.md")];
    for e in std::fs::read_dir(root().join("docs")).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "md") {
            files.push(e.path());
        }
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, part) in text.split("](").enumerate().skip(1) {
            let target = &part[..part.find(')').unwrap_or(part.len())];
            let _ = i;
            // Code that happens to hold "](" (C++ in docs/zeek-rules.md) is no link.
            if target.contains(char::is_whitespace) || target.is_empty() {
                continue;
            }
            assert!(
                !target.starts_with("http")
                    && !target.starts_with("../")
                    && !target.starts_with('/'),
                "{}: links outside the repository: {target}",
                f.display()
            );
            let base = f.parent().unwrap();
            let path = target.split('#').next().unwrap();
            if !path.is_empty() {
                assert!(
                    base.join(path).exists(),
                    "{}: {target} is not there",
                    f.display()
                );
            }
        }
    }
}

#[test]
fn the_licences_cargo_declares() {
    let toml = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(toml.contains("license = \"MIT OR Apache-2.0\""));
    let mit = std::fs::read_to_string(root().join("LICENSE-MIT")).unwrap();
    assert!(mit.starts_with("MIT License"));
    let apache = std::fs::read_to_string(root().join("LICENSE-APACHE")).unwrap();
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0, January 2004"));
}
