//! The training curves: losses and validation metrics against the epoch.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Figure, FigureResult, epoch_label, font, range};
use crate::train::EpochRow;

/// Reads one value of an epoch's row.
type Getter = fn(&EpochRow) -> Option<f64>;

pub(super) struct Training<'a> {
    pub(super) rows: &'a [EpochRow],
}

impl Figure for Training<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> FigureResult
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
