//! The page's charts, drawn as inline SVG with plotters' SVG backend (no script, no font file:
//! the browser lays out the text).

use crate::series::Series;
use crate::time::Timestamp;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

const W: u32 = 900;
const H: u32 = 260;

/// Seconds since `t0`, for an x axis.
fn secs(t: Timestamp, t0: Timestamp) -> f64 {
    t.as_nanos().saturating_sub(t0.as_nanos()) as f64 / 1e9
}

pub const PALETTE: [RGBColor; 12] = [
    RGBColor(0x1e, 0x88, 0xe5),
    RGBColor(0x43, 0xa0, 0x47),
    RGBColor(0xfb, 0x8c, 0x00),
    RGBColor(0x8e, 0x24, 0xaa),
    RGBColor(0xe5, 0x39, 0x35),
    RGBColor(0x00, 0x89, 0x7b),
    RGBColor(0x6d, 0x4c, 0x41),
    RGBColor(0xfd, 0xd8, 0x35),
    RGBColor(0x54, 0x6e, 0x7a),
    RGBColor(0xd8, 0x1b, 0x60),
    RGBColor(0x00, 0xac, 0xc1),
    RGBColor(0x9e, 0x9d, 0x24),
];

/// How a chart's axes are labelled.
#[derive(Default)]
struct Axes<'a> {
    x_desc: &'a str,
    y_desc: Option<&'a str>,
    x_label: Option<&'a dyn Fn(&f64) -> String>,
    /// The fine grid left out (it shows through stacked areas).
    no_fine_grid: bool,
}

/// The chart every function here draws: a white SVG of `W`×`H` with `title`, axes over `x`×`y`
/// labelled as `axes` says, what `body` draws on it, then, when `body` says it labelled series,
/// their legend. Empty when plotters cannot lay it out.
fn frame(
    title: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    axes: Axes<'_>,
    body: impl FnOnce(
        &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    ) -> bool,
) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (W, H)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let Ok(mut chart) = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(x, y)
        else {
            return String::new();
        };
        let mut m = chart.configure_mesh();
        m.x_desc(axes.x_desc);
        if let Some(d) = axes.y_desc {
            m.y_desc(d);
        }
        if let Some(f) = axes.x_label {
            m.x_label_formatter(f);
        }
        if axes.no_fine_grid {
            m.light_line_style(WHITE.mix(0.0));
        }
        let _ = m.draw();
        if body(&mut chart) {
            let _ = chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw();
        }
        let _ = root.present();
    }
    out
}

/// The x axis of a chart over capture time.
const OVER_TIME: &str = "seconds since the capture's first frame";

/// Stacked areas: each `(name, series)` on top of the previous, over `[t0, t1]`.
pub fn stacked(title: &str, layers: &[(String, &Series)], t0: Timestamp, t1: Timestamp) -> String {
    let n = 200;
    let span = secs(t1, t0).max(1e-6);
    // Every layer sampled at the same n points.
    let sample = |s: &Series| -> Vec<f64> {
        let mut v = vec![0.0f64; n];
        for (t, x) in s.points() {
            let i = ((secs(t, t0) / span) * n as f64) as usize;
            if i < n {
                v[i] = v[i].max(x);
            }
        }
        v
    };
    let mut base = vec![0.0; n];
    let mut tops: Vec<(String, Vec<f64>, Vec<f64>)> = Vec::new();
    for (name, s) in layers {
        let v = sample(s);
        let low = base.clone();
        for (b, x) in base.iter_mut().zip(&v) {
            *b += x;
        }
        tops.push((name.clone(), low, base.clone()));
    }
    let ymax = base.iter().copied().fold(0.0, f64::max).max(1.0) * 1.1;
    frame(
        title,
        0.0..span,
        0.0..ymax,
        Axes {
            x_desc: OVER_TIME,
            no_fine_grid: true,
            ..Axes::default()
        },
        |chart| {
            for (k, (name, low, high)) in tops.iter().enumerate() {
                let c = PALETTE[k % PALETTE.len()];
                let pts: Vec<(f64, f64)> = (0..n)
                    .map(|i| (i as f64 * span / n as f64, high[i]))
                    .chain((0..n).rev().map(|i| (i as f64 * span / n as f64, low[i])))
                    .collect();
                if let Ok(a) =
                    chart.draw_series(std::iter::once(Polygon::new(pts, c.mix(0.8).filled())))
                {
                    a.label(name.as_str()).legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled())
                    });
                }
            }
            true
        },
    )
}

/// Lines: one per `(name, series, peak, when)`, each with its peak marked.
pub fn lines(
    title: &str,
    lines: &[(String, &Series, f64, Option<Timestamp>)],
    t0: Timestamp,
    t1: Timestamp,
) -> String {
    let span = secs(t1, t0).max(1e-6);
    let ymax = lines.iter().map(|l| l.2).fold(0.0, f64::max).max(1.0) * 1.15;
    frame(
        title,
        0.0..span,
        0.0..ymax,
        Axes {
            x_desc: OVER_TIME,
            ..Axes::default()
        },
        |chart| {
            for (k, (name, s, peak, peak_at)) in lines.iter().enumerate() {
                let c = PALETTE[k % PALETTE.len()];
                let pts: Vec<(f64, f64)> =
                    s.points().iter().map(|(t, v)| (secs(*t, t0), *v)).collect();
                if let Ok(a) = chart.draw_series(LineSeries::new(pts, c.stroke_width(2))) {
                    a.label(name.as_str())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], c));
                }
                if let Some(at) = peak_at {
                    let p = (secs(*at, t0), *peak);
                    let _ = chart.draw_series(std::iter::once(Circle::new(p, 5, c.filled())));
                    let _ = chart.draw_series(std::iter::once(Text::new(
                        format!("peak {peak}"),
                        (p.0, p.1 * 1.04),
                        ("sans-serif", 12),
                    )));
                }
            }
            true
        },
    )
}

/// Bars: counts per interval, one colour per `(name, series)`, side by side.
pub fn bars(title: &str, sets: &[(String, &Series)], t0: Timestamp, t1: Timestamp) -> String {
    let n = 100;
    let span = secs(t1, t0).max(1e-6);
    let binned: Vec<Vec<f64>> = sets
        .iter()
        .map(|(_, s)| {
            let mut v = vec![0.0; n];
            for (t, x) in s.points() {
                let i = ((secs(t, t0) / span) * n as f64) as usize;
                v[i.min(n - 1)] += x;
            }
            v
        })
        .collect();
    let ymax = binned
        .iter()
        .flatten()
        .copied()
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.1;
    let desc = format!("{OVER_TIME} ({:.3} s a bar)", span / n as f64);
    frame(
        title,
        0.0..span,
        0.0..ymax,
        Axes {
            x_desc: &desc,
            ..Axes::default()
        },
        |chart| {
            let w = span / n as f64 / sets.len().max(1) as f64;
            for (k, ((name, _), v)) in sets.iter().zip(&binned).enumerate() {
                let c = PALETTE[k % PALETTE.len()];
                let bars = v
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| **x > 0.0)
                    .map(|(i, x)| {
                        let x0 = i as f64 * span / n as f64 + k as f64 * w;
                        Rectangle::new([(x0, 0.0), (x0 + w, *x)], c.filled())
                    });
                if let Ok(a) = chart.draw_series(bars) {
                    a.label(name.as_str()).legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled())
                    });
                }
            }
            true
        },
    )
}

/// A histogram of handshake round trips, `counts[i]` in `[2^i, 2^(i+1))` µs.
pub fn rtt_histogram(counts: &[u64]) -> String {
    let last = counts.iter().rposition(|c| *c > 0).unwrap_or(0);
    let first = counts.iter().position(|c| *c > 0).unwrap_or(0);
    let ymax = counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.1;
    let label = |x: &f64| {
        let us = 2f64.powf(*x);
        if us < 1000.0 {
            format!("{us:.0} µs")
        } else if us < 1e6 {
            format!("{:.1} ms", us / 1000.0)
        } else {
            format!("{:.1} s", us / 1e6)
        }
    };
    frame(
        "Handshake round trips",
        first as f64..(last + 1) as f64,
        0.0..ymax,
        Axes {
            x_desc: "SYN to final ACK (log scale)",
            y_desc: Some("connections"),
            x_label: Some(&label),
            ..Axes::default()
        },
        |chart| {
            let c = PALETTE[1];
            let _ = chart.draw_series(counts.iter().enumerate().filter(|(_, n)| **n > 0).map(
                |(i, n)| {
                    Rectangle::new(
                        [(i as f64 + 0.05, 0.0), (i as f64 + 0.95, *n as f64)],
                        c.filled(),
                    )
                },
            ));
            false
        },
    )
}
