//! Run results summarised per cell, and written as the Markdown table, the CSV and the
//! SVG figure of `infomorph reproduce`.

use super::{Plan, Row, RunResult, RunSpec};
use std::fmt::Write;

/// One cell of the table: a row at a hidden size, over the seeds that finished.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub row: &'static Row,
    pub n: usize,
    /// The published test accuracy in %, where the table has one (full MNIST, N a column).
    pub published: Option<f64>,
    /// Test accuracies in % of the finished runs, ascending.
    pub values: Vec<f64>,
    /// Runs that stopped early (a goal or weight that stopped being finite).
    pub failed: usize,
    /// Mean training time of a run in seconds (without the evaluations).
    pub seconds: f64,
}

impl Cell {
    /// The median over seeds (of the middle two for an even count).
    pub fn median(&self) -> Option<f64> {
        let v = &self.values;
        match v.len() {
            0 => None,
            n if n % 2 == 1 => Some(v[n / 2]),
            n => Some(0.5 * (v[n / 2 - 1] + v[n / 2])),
        }
    }

    pub fn min(&self) -> Option<f64> {
        self.values.first().copied()
    }

    pub fn max(&self) -> Option<f64> {
        self.values.last().copied()
    }

    /// Ours minus published, in points.
    pub fn delta(&self) -> Option<f64> {
        Some(self.median()? - self.published?)
    }
}

/// The cells of `plan` (rows in order, then sizes) from the results at hand; a row
/// where N does not matter has the same runs in every column.
pub fn summarise(plan: &Plan, results: &[(RunSpec, RunResult)]) -> Vec<Cell> {
    let mut cells = Vec::new();
    for &row in &plan.rows {
        for &n in &plan.sizes {
            let runs: Vec<&RunResult> = results
                .iter()
                .filter(|(s, _)| s.row.id == row.id && (row.any_n || s.n == Some(n)))
                .map(|(_, r)| r)
                .collect();
            let mut values: Vec<f64> = runs
                .iter()
                .filter(|r| r.error.is_none() && r.test_accuracy.is_finite())
                .map(|r| 100.0 * r.test_accuracy)
                .collect();
            crate::order::sort_by(&mut values, f64::total_cmp);
            let seconds = runs.iter().map(|r| r.seconds).sum::<f64>() / runs.len().max(1) as f64;
            cells.push(Cell {
                row,
                n,
                published: if plan.has_reference() {
                    row.published_at(n)
                } else {
                    None
                },
                failed: runs.len() - values.len(),
                values,
                seconds,
            });
        }
    }
    cells
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.1}"))
}

fn signed(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:+.1}"))
}

/// "93.1 [92.6–93.4]", or "—" without finished runs; failed runs are counted.
fn ours(c: &Cell) -> String {
    let mut s = match (c.median(), c.min(), c.max()) {
        (Some(m), Some(lo), Some(hi)) if c.values.len() > 1 => {
            format!("{m:.1} [{lo:.1}–{hi:.1}]")
        }
        (Some(m), _, _) => format!("{m:.1}"),
        _ => "—".into(),
    };
    if c.failed > 0 {
        let _ = write!(s, " ({} failed)", c.failed);
    }
    s
}

/// `table.md`: one row per model, a column group (published | ours: median [min–max] |
/// Δ) per N, in test accuracy %.
pub fn table_md(plan: &Plan, cells: &[Cell]) -> String {
    let mut out = String::new();
    let reference = if plan.has_reference() {
        "published: Schneider et al., ICLR 2025 (docs/method.md §5)"
    } else {
        "no published reference for this task"
    };
    let binning = plan.hidden_binning.map_or(String::new(), |b| {
        format!(
            ", every hidden layer binned {} (not each model's own rule)",
            b.name()
        )
    });
    let _ = writeln!(
        out,
        "# Test accuracy (%) on {}: {} epochs, median [min–max] over {} seed(s){binning}\n\n\
         {reference}; Δ = ours − published, in points.\n",
        plan.task, plan.epochs, plan.seeds
    );
    out.push_str("| model |");
    for n in &plan.sizes {
        let _ = write!(out, " N={n} published | N={n} ours | N={n} Δ |");
    }
    out.push_str("\n|---|");
    out.push_str(&"---|---|---|".repeat(plan.sizes.len()));
    out.push('\n');
    for &row in &plan.rows {
        let label = if row.any_n {
            format!("{} (any N)", row.label)
        } else {
            row.label.to_string()
        };
        let _ = write!(out, "| {label} |");
        for c in cells.iter().filter(|c| c.row.id == row.id) {
            let _ = write!(
                out,
                " {} | {} | {} |",
                pct(c.published),
                ours(c),
                signed(c.delta())
            );
        }
        out.push('\n');
    }
    out
}

/// `table.csv`: one line per cell; accuracies in %, empty where there is none.
pub fn table_csv(plan: &Plan, cells: &[Cell]) -> String {
    let mut out = String::from(
        "task,model,label,n,epochs,published,median,min,max,delta,seeds,failed,train_seconds_per_run\n",
    );
    let num = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.2}"));
    for c in cells {
        let _ = writeln!(
            out,
            "{},{},\"{}\",{},{},{},{},{},{},{},{},{},{:.1}",
            plan.task,
            c.row.id,
            c.row.label,
            c.n,
            plan.epochs,
            num(c.published),
            num(c.median()),
            num(c.min()),
            num(c.max()),
            num(c.delta()),
            c.values.len(),
            c.failed,
            c.seconds
        );
    }
    out
}

/// Distinct colours for the rows (Tableau 10 and one more).
const COLOURS: [&str; 11] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#000000",
];

/// The paper's figure: test accuracy against N (log axis) per model; published values as
/// open markers on dashed lines, ours as filled markers on solid lines with the seeds'
/// range as error bars. Plain SVG text.
pub fn figure_svg(plan: &Plan, cells: &[Cell]) -> String {
    let (width, height) = (980.0, 560.0);
    let (left, right, top, bottom) = (70.0, 660.0, 50.0, 500.0);
    let sizes: Vec<f64> = plan.sizes.iter().map(|&n| n as f64).collect();
    let lo_n = sizes.iter().copied().fold(f64::INFINITY, f64::min).max(1.0);
    let hi_n = sizes.iter().copied().fold(0.0, f64::max).max(lo_n);
    let (x0, x1) = ((lo_n / 1.6).log10(), (hi_n * 1.6).log10());
    let values = cells.iter().flat_map(|c| {
        c.published
            .into_iter()
            .chain(c.values.iter().copied())
            .collect::<Vec<_>>()
    });
    let y_min = values.fold(100.0_f64, f64::min);
    let y_lo = ((y_min - 2.0) / 10.0).floor().clamp(0.0, 9.0) * 10.0;
    let (y_lo, y_hi) = (y_lo, 100.0);
    let x = |n: f64| left + (n.log10() - x0) / (x1 - x0) * (right - left);
    let y = |v: f64| bottom - (v - y_lo) / (y_hi - y_lo) * (bottom - top);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="13">"#
    );
    let _ = writeln!(
        s,
        r#"<rect width="{width}" height="{height}" fill="white"/>"#
    );
    let binning = plan
        .hidden_binning
        .map_or(String::new(), |b| format!(", hidden binned {}", b.name()));
    let title = format!(
        "Test accuracy on {} ({} epochs, {} seed(s){binning})",
        plan.task, plan.epochs, plan.seeds
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="28" text-anchor="middle" font-size="16">{}</text>"#,
        (left + right) / 2.0,
        escape(&title)
    );
    // Axes, grid and ticks.
    let mut tick = (y_lo / 10.0).ceil() * 10.0;
    while tick <= y_hi + 1e-9 {
        let ty = y(tick);
        let _ = writeln!(
            s,
            r##"<line x1="{left}" y1="{ty:.1}" x2="{right}" y2="{ty:.1}" stroke="#e0e0e0"/><text x="{:.1}" y="{:.1}" text-anchor="end">{tick:.0}</text>"##,
            left - 6.0,
            ty + 4.0
        );
        tick += if y_hi - y_lo > 40.0 { 10.0 } else { 5.0 };
    }
    for &n in &sizes {
        let tx = x(n);
        let _ = writeln!(
            s,
            r##"<line x1="{tx:.1}" y1="{top}" x2="{tx:.1}" y2="{bottom}" stroke="#e0e0e0"/><text x="{tx:.1}" y="{:.1}" text-anchor="middle">{n}</text>"##,
            bottom + 18.0
        );
    }
    let _ = writeln!(
        s,
        r##"<rect x="{left}" y="{top}" width="{}" height="{}" fill="none" stroke="#333"/>"##,
        right - left,
        bottom - top
    );
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">hidden neurons N (log scale)</text>"#,
        (left + right) / 2.0,
        bottom + 40.0
    );
    let _ = writeln!(
        s,
        r#"<text x="18" y="{}" text-anchor="middle" transform="rotate(-90 18 {})">test accuracy (%)</text>"#,
        (top + bottom) / 2.0,
        (top + bottom) / 2.0
    );
    // One series per row, nudged sideways so that markers at the same N stay apart.
    let rows = plan.rows.len().max(1) as f64;
    for (i, &row) in plan.rows.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let nudge = 10f64.powf((i as f64 - (rows - 1.0) / 2.0) * 0.008);
        let series: Vec<&Cell> = cells.iter().filter(|c| c.row.id == row.id).collect();
        let line = |points: Vec<(f64, f64)>, dash: &str| -> String {
            if points.len() < 2 {
                return String::new();
            }
            let pts: Vec<String> = points
                .iter()
                .map(|(px, py)| format!("{px:.1},{py:.1}"))
                .collect();
            format!(
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="1.5"{dash}/>"#,
                pts.join(" ")
            )
        };
        let published: Vec<(f64, f64)> = series
            .iter()
            .filter_map(|c| Some((x(c.n as f64 * nudge), y(c.published?))))
            .collect();
        let ours: Vec<(f64, f64)> = series
            .iter()
            .filter_map(|c| Some((x(c.n as f64 * nudge), y(c.median()?))))
            .collect();
        let _ = writeln!(
            s,
            "{}",
            line(published.clone(), r#" stroke-dasharray="4 3""#)
        );
        let _ = writeln!(s, "{}", line(ours.clone(), ""));
        for c in &series {
            let cx = x(c.n as f64 * nudge);
            if let (Some(lo), Some(hi)) = (c.min(), c.max()) {
                let _ = writeln!(
                    s,
                    r#"<line x1="{cx:.1}" y1="{:.1}" x2="{cx:.1}" y2="{:.1}" stroke="{colour}" stroke-width="1.5"/>"#,
                    y(lo),
                    y(hi)
                );
            }
        }
        for (px, py) in published {
            let _ = writeln!(
                s,
                r#"<circle cx="{px:.1}" cy="{py:.1}" r="4.5" fill="white" stroke="{colour}" stroke-width="1.5"/>"#
            );
        }
        for (px, py) in ours {
            let _ = writeln!(
                s,
                r#"<circle cx="{px:.1}" cy="{py:.1}" r="4" fill="{colour}"/>"#
            );
        }
        let ly = top + 10.0 + 22.0 * i as f64;
        let _ = writeln!(
            s,
            r#"<line x1="680" y1="{ly:.1}" x2="710" y2="{ly:.1}" stroke="{colour}" stroke-width="1.5"/><circle cx="695" cy="{ly:.1}" r="4" fill="{colour}"/><text x="718" y="{:.1}">{}</text>"#,
            ly + 4.0,
            escape(row.label)
        );
    }
    let ly = top + 10.0 + 22.0 * rows + 14.0;
    let _ = writeln!(
        s,
        r##"<circle cx="695" cy="{ly:.1}" r="4" fill="#333"/><line x1="695" y1="{:.1}" x2="695" y2="{:.1}" stroke="#333" stroke-width="1.5"/><text x="718" y="{:.1}" font-size="12">ours: median, bar = seed range</text>"##,
        ly - 8.0,
        ly + 8.0,
        ly + 4.0
    );
    let (marker, text) = if plan.has_reference() {
        (
            r##"<circle cx="695" cy="{y}" r="4.5" fill="white" stroke="#333" stroke-width="1.5"/>"##,
            "published (dashed)",
        )
    } else {
        ("", "no published reference")
    };
    let _ = writeln!(
        s,
        r##"{}<text x="718" y="{:.1}" font-size="12">{text}</text>"##,
        marker.replace("{y}", &format!("{:.1}", ly + 22.0)),
        ly + 26.0
    );
    s.push_str("</svg>\n");
    s
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reproduce::ROWS;

    fn result(acc: f64) -> RunResult {
        RunResult {
            test_accuracy: acc,
            seconds: 2.0,
            wall_seconds: None,
            error: None,
        }
    }

    #[test]
    fn cells_median_range_and_delta() {
        let plan = Plan {
            task: "mnist".into(),
            rows: vec![&ROWS[2], &ROWS[10]],
            sizes: vec![10, 100],
            seeds: 3,
            epochs: 1,
            eval_every: 1,
            hidden_binning: None,
        };
        let spec = |row, n, seed| RunSpec { row, n, seed };
        let results = vec![
            (spec(&ROWS[2], Some(10), 0), result(0.70)),
            (spec(&ROWS[2], Some(10), 1), result(0.80)),
            (spec(&ROWS[2], Some(10), 2), result(0.75)),
            (spec(&ROWS[2], Some(100), 0), result(0.90)),
            (
                spec(&ROWS[2], Some(100), 1),
                RunResult {
                    test_accuracy: f64::NAN,
                    seconds: 1.0,
                    wall_seconds: None,
                    error: Some("not finite".into()),
                },
            ),
            (spec(&ROWS[10], None, 0), result(0.91)),
        ];
        let cells = summarise(&plan, &results);
        assert_eq!(cells.len(), 4);
        assert_eq!(cells[0].median(), Some(75.0));
        assert_eq!((cells[0].min(), cells[0].max()), (Some(70.0), Some(80.0)));
        assert!((cells[0].delta().unwrap() - (75.0 - 76.7)).abs() < 1e-9);
        assert_eq!((cells[1].values.len(), cells[1].failed), (1, 1));
        assert_eq!(cells[2].values, cells[3].values);
        let md = table_md(&plan, &cells);
        assert!(md.contains("| context, heuristic | 76.7 | 75.0 [70.0–80.0] | -1.7 | 92.5 | 90.0 (1 failed) | -2.5 |"), "{md}");
        assert!(
            md.contains("| readout only (any N) | 91.9 | 91.0 | -0.9 | 91.9 | 91.0 | -0.9 |"),
            "{md}"
        );
        let csv = table_csv(&plan, &cells);
        assert!(csv.contains("mnist,context-heuristic,\"context, heuristic\",10,1,76.70,75.00,70.00,80.00,-1.70,3,0,2.0"), "{csv}");
        let svg = figure_svg(&plan, &cells);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        let fashion = Plan {
            task: "fashion-mnist".into(),
            ..plan
        };
        let cells = summarise(&fashion, &results);
        assert!(cells
            .iter()
            .all(|c| c.published.is_none() && c.delta().is_none()));
        assert!(table_md(&fashion, &cells).contains("no published reference"));
    }
}
