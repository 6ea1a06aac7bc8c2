//! Plots, as PNG and SVG, with `plotters`: the per-epoch losses and validation metrics of a
//! `--metrics-log` CSV, and the precision–recall curve with the chosen threshold marked.
//!
//! Text is drawn with a TrueType font found at run time (plotters' `ab_glyph` backend, so the
//! build needs no system font library): the file named by the `FRAUDNET_FONT` environment
//! variable, else the first of [`FONT_CANDIDATES`] that exists (DejaVu Sans on Debian:
//! `apt-get install fonts-dejavu-core`).
//!
//! Every file is drawn to a hidden temporary file beside its target and renamed into place, so
//! a failure never leaves a half-drawn plot over a good one.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};
use crate::metrics::Confusion;
use crate::ranking::Curve;

/// Fonts tried, in order, when `FRAUDNET_FONT` is not set: DejaVu Sans and Liberation Sans where
/// Linux distributions install them, then Arial on macOS and Windows.
pub const FONT_CANDIDATES: [&str; 9] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// The font family name plots use.
const FAMILY: &str = "sans-serif";

/// Finds a font, registers it with plotters once, and returns its path.
///
/// # Errors
///
/// A message naming what was searched and how to provide a font.
pub fn ensure_font() -> std::result::Result<PathBuf, String> {
    static FONT: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    FONT.get_or_init(|| {
        let from_env = std::env::var_os("FRAUDNET_FONT").map(PathBuf::from);
        let candidates: Vec<PathBuf> = match &from_env {
            Some(path) => vec![path.clone()],
            None => FONT_CANDIDATES.iter().map(PathBuf::from).collect(),
        };
        for path in &candidates {
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            // plotters keeps fonts for the life of the process; the bytes are leaked once.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            if plotters::style::register_font(FAMILY, FontStyle::Normal, bytes).is_ok() {
                return Ok(path.clone());
            }
            if from_env.is_some() {
                return Err(format!(
                    "FRAUDNET_FONT={} is not a TrueType or OpenType font",
                    path.display()
                ));
            }
        }
        Err(match from_env {
            Some(path) => format!("FRAUDNET_FONT={} cannot be read", path.display()),
            None => format!(
                "no font found for the plot text (looked for {}); install one \
                 (Debian: apt-get install fonts-dejavu-core) or set FRAUDNET_FONT to a .ttf file",
                FONT_CANDIDATES.join(", ")
            ),
        })
    })
    .clone()
}

/// One row of a metrics log: the values [`plot_training`] draws, `None` where a cell is empty
/// or the column is absent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpochRow {
    /// 1-based epoch.
    pub epoch: f64,
    /// Class-weighted training loss.
    pub loss: Option<f64>,
    /// Unweighted validation loss.
    pub val_loss: Option<f64>,
    /// Validation precision at `p > 0.5`.
    pub val_precision: Option<f64>,
    /// Validation recall at `p > 0.5`.
    pub val_recall: Option<f64>,
    /// Validation average precision.
    pub val_auc_pr: Option<f64>,
    /// Validation ROC AUC.
    pub val_auc_roc: Option<f64>,
}

/// Reads a `--metrics-log` CSV (columns found by name; `epoch` is required, the others drawn
/// when present).
///
/// # Errors
///
/// [`Error::Io`] if it cannot be read; [`Error::Data`] naming the line and column of a cell that
/// is not a number, or line 1 if there is no `epoch` column; [`Error::Dataset`] if it has no rows.
pub fn read_metrics_log(path: &Path) -> Result<Vec<EpochRow>> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| Error::io(path, "cannot open metrics log", csv_io(e)))?;
    let headers = reader
        .headers()
        .map_err(|e| Error::io(path, "cannot read metrics log", csv_io(e)))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let epoch = column("epoch").ok_or_else(|| Error::Data {
        path: path.to_path_buf(),
        line: 1,
        column: None,
        message: format!(
            "expected a metrics log with an \"epoch\" column (fraudnet train --metrics-log), \
             found columns: {}",
            headers.iter().collect::<Vec<_>>().join(", ")
        ),
    })?;
    let wanted = [
        "loss",
        "val_loss",
        "val_precision",
        "val_recall",
        "val_auc_pr",
        "val_auc_roc",
    ]
    .map(column);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = record.map_err(|e| Error::Data {
            path: path.to_path_buf(),
            line,
            column: None,
            message: e.to_string(),
        })?;
        let cell = |j: usize| -> Result<Option<f64>> {
            let text = record.get(j).unwrap_or("").trim();
            if text.is_empty() || text.eq_ignore_ascii_case("nan") {
                return Ok(None);
            }
            text.parse::<f64>().map(Some).map_err(|_| Error::Data {
                path: path.to_path_buf(),
                line,
                column: Some(headers[j].to_string()),
                message: format!("expected a number, found {text:?}"),
            })
        };
        let get = |k: usize| -> Result<Option<f64>> {
            wanted[k].map(cell).transpose().map(Option::flatten)
        };
        rows.push(EpochRow {
            epoch: cell(epoch)?.ok_or_else(|| Error::Data {
                path: path.to_path_buf(),
                line,
                column: Some("epoch".into()),
                message: "expected the epoch number, found an empty cell".into(),
            })?,
            loss: get(0)?,
            val_loss: get(1)?,
            val_precision: get(2)?,
            val_recall: get(3)?,
            val_auc_pr: get(4)?,
            val_auc_roc: get(5)?,
        });
    }
    if rows.is_empty() {
        return Err(Error::Dataset {
            path: path.to_path_buf(),
            message: "the metrics log has a header but no epochs".into(),
        });
    }
    Ok(rows)
}

fn csv_io(e: csv::Error) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Draws the per-epoch plot as `training.png` and `training.svg` in `dir` (created if needed):
/// the class-weighted training loss, the validation loss, and the validation precision, recall,
/// average precision and ROC AUC, each against the epoch. Returns the files written.
///
/// # Errors
///
/// [`Error::Io`] if no font is found, the directory or a file cannot be written, or plotters
/// fails.
pub fn plot_training(rows: &[EpochRow], dir: &Path) -> Result<Vec<PathBuf>> {
    draw_both(dir, "training", (1500, 450), &Training { rows })
}

/// Draws the precision–recall curve as `pr_curve.png` and `pr_curve.svg` in `dir`: the exact
/// step-wise curve of `ranking` (the logits' curve, whose area is the average precision), the
/// fraud rate as the no-skill line, the `chosen` operating point (`(threshold, counts)`, the
/// counts of `p > threshold`) marked, and, when given, the cheapest one. Returns the files
/// written.
///
/// # Errors
///
/// As [`plot_training`].
pub fn plot_precision_recall(
    ranking: &Curve,
    chosen: (f32, Confusion),
    cheapest: Option<(f32, Confusion)>,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    let figure = PrCurve {
        curve: ranking,
        chosen,
        cheapest,
    };
    draw_both(dir, "pr_curve", (800, 650), &figure)
}

/// Something drawn the same way on any plotters backend.
trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// Draws `figure` to `{stem}.png` and `{stem}.svg` in `dir`, each atomically.
fn draw_both(
    dir: &Path,
    stem: &str,
    size: (u32, u32),
    figure: &impl Figure,
) -> Result<Vec<PathBuf>> {
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    let plot_error = |path: &Path, e: Box<dyn std::error::Error>| {
        Error::io(
            path,
            "cannot draw the plot",
            std::io::Error::other(e.to_string()),
        )
    };
    ensure_font().map_err(|message| {
        Error::io(
            &png,
            "cannot draw the plot",
            std::io::Error::new(std::io::ErrorKind::NotFound, message),
        )
    })?;
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(dir, "cannot create the plot directory", e))?;

    // PNG: plotters writes the file itself on `present`, so it draws to a temporary `.png`
    // (the extension selects the encoder) that is renamed into place.
    let tmp = crate::predict::output_tempfile(dir, &format!("{stem}.png"), ".png")?;
    {
        let root = BitMapBackend::new(tmp.path(), size).into_drawing_area();
        figure
            .draw(&root)
            .and_then(|()| root.present().map_err(Into::into))
            .map_err(|e| plot_error(&png, e))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(tmp.path(), "cannot flush the plot to disk", e))?;
    tmp.persist(&png)
        .map_err(|e| Error::io(&png, "cannot move the plot into place", e.error))?;

    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        figure
            .draw(&root)
            .and_then(|()| root.present().map_err(Into::into))
            .map_err(|e| plot_error(&svg, e))?;
    }
    let mut tmp = crate::predict::output_tempfile(dir, &format!("{stem}.svg"), ".tmp")?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io(tmp.path(), "cannot write the plot", e))?;
    tmp.persist(&svg)
        .map_err(|e| Error::io(&svg, "cannot move the plot into place", e.error))?;
    Ok(vec![png, svg])
}

fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().into()
}

/// `[lo, hi]` of the values, widened so a flat series still spans a range.
fn range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    let pad = if hi > lo {
        (hi - lo) * 0.08
    } else {
        lo.abs().max(1e-12) * 0.1
    };
    Some((lo - pad, hi + pad))
}

/// An axis label for whole epochs only (plotters puts ticks at round fractions too).
fn epoch_label(x: &f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        String::new()
    }
}

/// Reads one value of an epoch's row.
type Getter = fn(&EpochRow) -> Option<f64>;

struct Training<'a> {
    rows: &'a [EpochRow],
}

impl Figure for Training<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let panels = root.split_evenly((1, 3));
        let last = self.rows.iter().map(|r| r.epoch).fold(1.0, f64::max);
        let x_range = 0.5..last + 0.5;
        let blue = RGBColor(31, 119, 180);
        let orange = RGBColor(255, 127, 14);
        let green = RGBColor(44, 160, 44);
        let red = RGBColor(214, 39, 40);
        let purple = RGBColor(148, 103, 189);
        let losses: [(&str, &str, Getter, RGBColor); 2] = [
            ("Training loss (class-weighted)", "loss", |r| r.loss, blue),
            (
                "Validation loss (unweighted)",
                "val_loss",
                |r| r.val_loss,
                orange,
            ),
        ];
        for (panel, (title, name, get, color)) in panels.iter().zip(losses) {
            let points: Vec<(f64, f64)> = self
                .rows
                .iter()
                .filter_map(|r| get(r).map(|v| (r.epoch, v)))
                .collect();
            let (lo, hi) = range(points.iter().map(|p| p.1)).unwrap_or((0.0, 1.0));
            let mut chart = ChartBuilder::on(panel)
                .caption(title, font(20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(80)
                .build_cartesian_2d(x_range.clone(), lo..hi)?;
            chart
                .configure_mesh()
                .x_desc("epoch")
                .y_desc(name)
                .label_style(font(13))
                .axis_desc_style(font(15))
                .light_line_style(RGBColor(235, 235, 235))
                .x_label_formatter(&epoch_label)
                .y_label_formatter(&|&y| {
                    if hi.abs().max(lo.abs()) < 1e-2 {
                        format!("{y:.2e}")
                    } else {
                        format!("{y:.3}")
                    }
                })
                .draw()?;
            chart.draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?;
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        }
        let metrics: [(&str, Getter, RGBColor); 4] = [
            ("average precision", |r| r.val_auc_pr, red),
            ("ROC AUC", |r| r.val_auc_roc, purple),
            ("precision (p > 0.5)", |r| r.val_precision, blue),
            ("recall (p > 0.5)", |r| r.val_recall, green),
        ];
        let mut chart = ChartBuilder::on(&panels[2])
            .caption("Validation metrics", font(20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(x_range, 0.0..1.02)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .label_style(font(13))
            .axis_desc_style(font(15))
            .light_line_style(RGBColor(235, 235, 235))
            .x_label_formatter(&epoch_label)
            .draw()?;
        for (name, get, color) in metrics {
            let points: Vec<(f64, f64)> = self
                .rows
                .iter()
                .filter_map(|r| get(r).map(|v| (r.epoch, v)))
                .collect();
            if points.is_empty() {
                continue;
            }
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(font(13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }
}

struct PrCurve<'a> {
    curve: &'a Curve,
    chosen: (f32, Confusion),
    cheapest: Option<(f32, Confusion)>,
}

/// The vertices of the step-wise precision–recall curve, `(recall, precision)`: each rectangle
/// of the average precision's sum is drawn, and at each recall the precision falls from its
/// first to its last value, so only two vertices per distinct recall are needed.
fn step_path(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut kept: Vec<(f64, f64)> = Vec::new();
    for (i, &p) in points.iter().enumerate() {
        let first_at_recall = i == 0 || points[i - 1].0 != p.0;
        let last_at_recall = i + 1 == points.len() || points[i + 1].0 != p.0;
        if first_at_recall || last_at_recall {
            kept.push(p);
        }
    }
    let mut path = Vec::with_capacity(2 * kept.len());
    if let Some(&first) = kept.first() {
        path.push(first);
    }
    for pair in kept.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        path.push((a.0, b.1));
        path.push(b);
    }
    path
}

impl Figure for PrCurve<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let curve = self.curve;
        let title = match curve.average_precision() {
            Some(ap) => format!("Precision–recall curve (average precision {ap:.4})"),
            None => "Precision–recall curve (no frauds: undefined)".into(),
        };
        let mut chart = ChartBuilder::on(root)
            .caption(title, font(22))
            .margin(16)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(0.0..1.0, 0.0..1.02)?;
        chart
            .configure_mesh()
            .x_desc("recall")
            .y_desc("precision")
            .light_line_style(RGBColor(235, 235, 235))
            .label_style(font(14))
            .axis_desc_style(font(16))
            .draw()?;
        let total = curve.positives + curve.negatives;
        if total > 0 {
            let rate = curve.positives as f64 / total as f64;
            let grey = RGBColor(150, 150, 150);
            chart
                .draw_series(LineSeries::new(
                    [(0.0, rate), (1.0, rate)],
                    grey.stroke_width(1),
                ))?
                .label(format!("no skill (fraud rate {:.4})", rate))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey));
        }
        let blue = RGBColor(31, 119, 180);
        chart
            .draw_series(LineSeries::new(
                step_path(&curve.precision_recall()),
                blue.stroke_width(2),
            ))?
            .label("model")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2))
            });
        let mut marks = vec![(self.chosen.0, self.chosen.1, RGBColor(214, 39, 40))];
        if let Some((t, c)) = self.cheapest {
            marks.push((t, c, RGBColor(44, 160, 44)));
        }
        for (k, (t, c, color)) in marks.into_iter().enumerate() {
            let at = (c.recall(), c.precision());
            let name = if k == 0 { "chosen" } else { "cheapest" };
            let label = format!(
                "{name}: p > {}  (precision {:.3}, recall {:.3}, {} fp)",
                crate::ranking::format_threshold(t),
                c.precision(),
                c.recall(),
                c.fp
            );
            chart
                .draw_series([Circle::new(at, 7, color.filled())])?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .label_font(font(14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_path_draws_each_rectangle_of_the_average_precision() {
        // (recall, precision) from flag-none to flag-all: two hits, then a miss, then a hit.
        let points = [(0.0, 1.0), (0.5, 1.0), (0.5, 0.5), (1.0, 2.0 / 3.0)];
        assert_eq!(
            step_path(&points),
            [
                (0.0, 1.0),
                (0.0, 1.0),
                (0.5, 1.0),
                (0.5, 0.5),
                (0.5, 0.5),
                (0.5, 2.0 / 3.0),
                (1.0, 2.0 / 3.0)
            ]
        );
    }
}
