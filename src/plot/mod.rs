//! Plots, as PNG and SVG, with `plotters`: the per-epoch losses and validation metrics of a
//! metrics log ([`crate::train::read_metrics_log`]), and the precision–recall curve with the
//! chosen threshold marked (`training.rs` and `pr_curve.rs`, one figure each), and the
//! validation average precision of several runs on one chart (`compare.rs`).
//!
//! Text is drawn with a TrueType font found at run time (plotters' `ab_glyph` backend, so the
//! build needs no system font library): the file named by the `FRAUDNET_FONT` environment
//! variable, else the first of [`FONT_CANDIDATES`] that exists (DejaVu Sans on Debian:
//! `apt-get install fonts-dejavu-core`).
//!
//! Every file is drawn to a hidden temporary file beside its target and renamed into place
//! ([`crate::atomic_file`]), so a failure never leaves a half-drawn plot over a good one.

mod compare;
mod font;
mod pr_curve;
mod training;

pub use font::{FONT_CANDIDATES, ensure_font};

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use font::FAMILY;
use pr_curve::PrCurve;
use training::Training;

use crate::atomic_file::{self, AtomicFile};
use crate::error::{Error, Result};
use crate::metrics::Confusion;
use crate::ranking::Curve;
use crate::train::EpochRow;

/// What drawing a figure returns: plotters' errors, boxed.
type FigureResult = std::result::Result<(), Box<dyn std::error::Error>>;

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

/// Draws the validation average precision of each series (a legend label and the rows of a
/// metrics log) against the epoch on one chart, as `val_auc_pr.png` and `val_auc_pr.svg` in
/// `dir`: e.g. the raw weights of a run (a run without `--ema`: the average never changes the
/// raw weights) beside their average (the same run with `--ema`). Returns the files written.
///
/// # Errors
///
/// As [`plot_training`].
pub fn plot_compare_ap(series: &[(String, Vec<EpochRow>)], dir: &Path) -> Result<Vec<PathBuf>> {
    draw_both(
        dir,
        "val_auc_pr",
        (900, 550),
        &compare::CompareAp { series },
    )
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
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> FigureResult
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
    let tmp = AtomicFile::create(&png, ".png")?;
    {
        let root = BitMapBackend::new(tmp.path(), size).into_drawing_area();
        figure
            .draw(&root)
            .and_then(|()| root.present().map_err(Into::into))
            .map_err(|e| plot_error(&png, e))?;
    }
    tmp.commit()?;

    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        figure
            .draw(&root)
            .and_then(|()| root.present().map_err(Into::into))
            .map_err(|e| plot_error(&svg, e))?;
    }
    atomic_file::write(&svg, text.as_bytes())?;
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
