//! The precision–recall curve with the chosen (and the cheapest) threshold marked.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Figure, FigureResult, font};
use crate::metrics::Confusion;
use crate::ranking::Curve;

pub(super) struct PrCurve<'a> {
    pub(super) curve: &'a Curve,
    pub(super) chosen: (f32, Confusion),
    pub(super) cheapest: Option<(f32, Confusion)>,
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
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> FigureResult
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
