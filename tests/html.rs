//! The HTML report as a person sees it: opened from a file in headless Chromium with the network
//! off, it loads without a console error, every chart has drawn data, and the connection table
//! sorts and filters (the page keeps its view in the address, which the test sets). A
//! screenshot is saved under target/. Needs Chromium (Debian's `chromium`; `.ci/run` installs
//! it): without it the browser part is skipped, saying so.

mod common;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn html(capture: &str, dir: &Path) -> PathBuf {
    let out = Command::cargo_bin("synack")
        .unwrap()
        .args(["report", "--format", "html", capture])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let p = dir.join("report.html");
    std::fs::write(&p, &out.stdout).unwrap();
    p
}

fn chromium() -> Option<PathBuf> {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(o) = std::process::Command::new("which").arg(c).output() {
            if o.status.success() {
                return Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
            }
        }
    }
    None
}

/// Chromium, headless, the network off: the page's DOM after its script ran, and stderr.
fn browse(browser: &Path, page: &Path, hash: &str, extra: &[&str]) -> (String, String) {
    let url = format!("file://{}{hash}", page.display());
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
        ])
        .args(extra)
        .arg(&url)
        .output()
        .expect("chromium runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_page_stands_alone() {
    let dir = tempfile::tempdir().unwrap();
    let page = html("testdata/kernel/syn-flood.pcap", dir.path());
    let text = std::fs::read_to_string(&page).unwrap();
    // Nothing to fetch: the only URL is the SVG namespace.
    for needle in ["src=\"http", "href=\"http", "url(http", "@import", "<link "] {
        assert!(!text.contains(needle), "{needle}");
    }
    assert!(text.len() < 5_000_000);
    // Every chart is well-formed SVG.
    let mut charts = 0;
    for part in text.split("<svg").skip(1) {
        let svg = format!("<svg{}", &part[..part.find("</svg>").unwrap() + 6]);
        roxmltree::Document::parse(&svg).expect("a chart is well-formed SVG");
        charts += 1;
    }
    assert!(charts >= 3, "{charts} charts");
}

#[test]
fn in_chromium_it_loads_draws_sorts_and_filters() {
    let Some(browser) = chromium() else {
        common::skipped("chromium not found (Debian package `chromium`; .ci/run installs it)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The kernel's 1001 connections closed by the server: TIME-WAIT piles up.
    let page = html("testdata/kernel/time-wait-excess.pcap.gz", dir.path());
    let (dom, log) = browse(&browser, &page, "", &["--dump-dom"]);
    assert!(dom.contains("data-ready=\"yes\""), "the script ran");
    for bad in ["Uncaught", "CONSOLE(", "ERR_", "Failed to load resource"] {
        assert!(
            !log.lines().any(|l| l.contains(bad) && !l.contains("dbus")),
            "console: {bad}\n{log}"
        );
    }
    // Every chart drew something beyond its axes.
    let chart = |id: &str| -> String {
        let at = dom
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("{id}"));
        let end = dom[at..].find("</svg>").unwrap();
        dom[at..at + end].to_string()
    };
    assert!(
        chart("chart-open").contains("<polygon"),
        "open connections drawn"
    );
    let tw = chart("chart-time-wait");
    assert!(
        tw.contains("<polyline") && tw.contains("peak 1001"),
        "TIME-WAIT with its peak"
    );
    assert!(chart("chart-rtt").matches("<rect").count() > 2, "RTT bars");
    // Sorted by ID, descending, from the address: the first row is the highest id.
    let rows = |dom: &str| -> Vec<(u64, bool)> {
        let body = &dom[dom.find("id=\"conns\"").unwrap()..];
        body.split("<tr")
            .skip(2)
            .filter_map(|r| {
                let hidden = r.starts_with(" hidden") || r.contains(" hidden=\"\"");
                let v = r.split("data-v=\"").nth(1)?;
                Some((v[..v.find('"')?].parse().ok()?, hidden))
            })
            .collect()
    };
    let (sorted, _) = browse(&browser, &page, "#sort=id:desc", &["--dump-dom"]);
    let ids: Vec<u64> = rows(&sorted).iter().map(|r| r.0).collect();
    assert!(ids.len() > 100);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "sorted descending");
    // Filtered: only rows holding the text stay visible.
    let (filtered, _) = browse(&browser, &page, "#filter=40010", &["--dump-dom"]);
    let visible: Vec<u64> = rows(&filtered)
        .iter()
        .filter(|r| !r.1)
        .map(|r| r.0)
        .collect();
    assert!(
        !visible.is_empty() && visible.len() < ids.len(),
        "{visible:?}"
    );
    // A screenshot, to look at.
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let _ = browse(
        &browser,
        &page,
        "",
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400",
        ],
    );
    assert!(std::fs::metadata(&shot)
        .map(|m| m.len() > 10_000)
        .unwrap_or(false));
    eprintln!("screenshot: {}", shot.display());
}

/// The page draws each troubled connection's ladder (the first --limit) as `synack show` draws
/// it: replayed from the segments the run kept, the same SVG.
#[test]
fn ladders_are_the_ones_show_draws() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["final-ack-dropped.pcap", "refused.pcap", "syn-flood.pcap"] {
        let c = format!("testdata/kernel/{name}");
        let page = std::fs::read_to_string(html(&c, dir.path())).unwrap();
        let at = page
            .find("id=\"ladder-")
            .unwrap_or_else(|| panic!("{name}: no ladder"));
        let id: String = page[at + 11..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let start = at + page[at..].find("<svg").unwrap();
        let end = start + page[start..].find("</svg>").unwrap() + 6;
        let out = Command::cargo_bin("synack")
            .unwrap()
            .args(["show", &c, "--conn", &id, "--format", "svg"])
            .output()
            .unwrap();
        let svg = String::from_utf8(out.stdout).unwrap();
        let svg = &svg[svg.find("<svg").unwrap()..];
        assert_eq!(&page[start..end], svg.trim_end(), "{name} connection {id}");
        // At most --limit (20) of them.
        assert!(page.matches("id=\"ladder-").count() <= 20);
    }
}
