//! The validation average precision of several runs against the epoch, on one chart: e.g. a
//! run's raw weights beside their moving average (`train --ema`).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Figure, FigureResult, epoch_label, font};
use crate::train::EpochRow;

pub(super) struct CompareAp<'a> {
    /// Each series' legend label and its metrics-log rows.
    pub(super) series: &'a [(String, Vec<EpochRow>)],
}

impl Figure for CompareAp<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> FigureResult
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let last = self
            .series
            .iter()
            .flat_map(|(_, rows)| rows.iter().map(|r| r.epoch))
            .fold(1.0, f64::max);
        let colors = [
            RGBColor(31, 119, 180),
            RGBColor(214, 39, 40),
            RGBColor(44, 160, 44),
            RGBColor(148, 103, 189),
            RGBColor(255, 127, 14),
        ];
        let mut chart = ChartBuilder::on(root)
            .caption("Validation average precision per epoch", font(20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.5..last + 0.5, 0.0..1.02)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("val_auc_pr")
            .label_style(font(13))
            .axis_desc_style(font(15))
            .light_line_style(RGBColor(235, 235, 235))
            .x_label_formatter(&epoch_label)
            .draw()?;
        for ((label, rows), &color) in self.series.iter().zip(colors.iter().cycle()) {
            let points: Vec<(f64, f64)> = rows
                .iter()
                .filter_map(|r| r.val_auc_pr.map(|v| (r.epoch, v)))
                .collect();
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))?
                .label(label.as_str())
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
