//! Average precision and ROC AUC against scikit-learn on small inputs with ties, and the
//! operating points (threshold table, recall targets, cheapest threshold) against brute force.

use fraudnet::metrics::Confusion;
use fraudnet::ranking::Curve;
use ndarray::ArrayView1;

/// The 300-row case: scores k/64 with k = (7919·i) mod 61 (61 distinct values, many ties), and
/// labels from a fixed rule, identical in the Python below.
fn formula_case() -> (Vec<f32>, Vec<f32>) {
    let k: Vec<usize> = (0..300).map(|i| (i * 7919) % 61).collect();
    let scores = k.iter().map(|&k| k as f32 / 64.0).collect();
    let labels = (0..300)
        .map(|i| {
            let positive =
                ((i * 104_729 + k[i] * 13).is_multiple_of(7) && k[i] > 20) || i.is_multiple_of(29);
            f32::from(u8::from(positive))
        })
        .collect();
    (scores, labels)
}

fn assert_close(found: Option<f64>, expected: f64) {
    let found = found.expect("defined");
    assert!(
        (found - expected).abs() <= 1e-12,
        "found {found}, scikit-learn {expected}"
    );
}

// Values from scikit-learn 1.9.1 (NumPy 2.4.6):
//
//     from sklearn.metrics import average_precision_score, roc_auc_score
//     y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0]
//     s = [0.125, 0.5, 0.375, 0.875, 0.5, 0.5, 0.9375, 0.875, 0.125, 0.25]
//     average_precision_score(y, s), roc_auc_score(y, s)   # 0.5809523809523809, 0.54
//     y = [0, 1, 1, 0, 1]; s = [0.5] * 5
//     average_precision_score(y, s), roc_auc_score(y, s)   # 0.6, 0.5
//     n = 300
//     k = [(i * 7919) % 61 for i in range(n)]
//     s = [kk / 64 for kk in k]
//     y = [1 if ((i * 104729 + k[i] * 13) % 7 == 0 and k[i] > 20) or i % 29 == 0 else 0
//          for i in range(n)]
//     average_precision_score(y, s), roc_auc_score(y, s)   # 0.20852216681608235, 0.6759996070340897
#[test]
fn average_precision_and_roc_auc_match_scikit_learn_with_ties() {
    let curve = Curve::new(
        &[
            0.125, 0.5, 0.375, 0.875, 0.5, 0.5, 0.9375, 0.875, 0.125, 0.25,
        ],
        &[0., 0., 1., 1., 0., 1., 0., 1., 1., 0.],
    );
    assert_close(curve.average_precision(), 0.5809523809523809);
    assert_close(curve.roc_auc(), 0.54);

    let all_tied = Curve::new(&[0.5; 5], &[0., 1., 1., 0., 1.]);
    assert_close(all_tied.average_precision(), 0.6);
    assert_close(all_tied.roc_auc(), 0.5);

    let (scores, labels) = formula_case();
    let curve = Curve::new(&scores, &labels);
    assert_eq!((curve.positives, curve.distinct_scores()), (39, 61));
    assert_close(curve.average_precision(), 0.20852216681608235);
    assert_close(curve.roc_auc(), 0.6759996070340897);
}

#[test]
fn perfect_reversed_and_one_class_rankings() {
    let perfect = Curve::new(&[0.9, 0.8, 0.2, 0.1], &[1., 1., 0., 0.]);
    assert_eq!(perfect.average_precision(), Some(1.0));
    assert_eq!(perfect.roc_auc(), Some(1.0));
    let reversed = Curve::new(&[0.1, 0.2, 0.8, 0.9], &[1., 1., 0., 0.]);
    assert_eq!(reversed.roc_auc(), Some(0.0));
    // AP of the reversed ranking: positives found at ranks 3 and 4: (1/2)·(1/3) + (1/2)·(2/4).
    assert_close(reversed.average_precision(), 0.5 / 3.0 + 0.25);
    let no_positive = Curve::new(&[0.1, 0.7], &[0., 0.]);
    assert_eq!(no_positive.average_precision(), None);
    assert_eq!(no_positive.roc_auc(), None);
    assert_eq!(no_positive.for_recall(0.8), None);
    let no_negative = Curve::new(&[0.1, 0.7], &[1., 1.]);
    assert_eq!(no_negative.roc_auc(), None);
    assert_eq!(no_negative.average_precision(), Some(1.0));
}

fn counted(scores: &[f32], labels: &[f32], threshold: f32) -> Confusion {
    let mut c = Confusion::default();
    c.add(
        ArrayView1::from(scores),
        ArrayView1::from(labels),
        threshold,
    );
    c
}

#[test]
fn every_operating_point_counts_as_strict_thresholding_does() {
    let (scores, labels) = formula_case();
    let curve = Curve::new(&scores, &labels);
    let points: Vec<_> = curve.points().collect();
    assert_eq!(
        points.len(),
        62,
        "flag-none plus one point per distinct score"
    );
    assert_eq!(points[0].confusion.tp + points[0].confusion.fp, 0);
    assert_eq!(points[61].confusion.tn + points[61].confusion.fn_, 0);
    for point in &points {
        // The printed threshold, passed back as `p > t`, gives exactly the point's counts.
        assert_eq!(
            counted(&scores, &labels, point.threshold),
            point.confusion,
            "{point:?}"
        );
        assert_eq!(curve.at(point.threshold), point.confusion);
    }
    for t in [0.0, 0.1, 0.3125, 0.5, 0.9, 0.95] {
        assert_eq!(curve.at(t), counted(&scores, &labels, t), "p > {t}");
    }
}

#[test]
fn recall_targets_take_the_highest_threshold_reaching_them() {
    let (scores, labels) = formula_case();
    let curve = Curve::new(&scores, &labels);
    for target in [0.5, 0.8, 0.9, 0.95, 1.0] {
        let found = curve.for_recall(target).unwrap();
        assert!(found.confusion.recall() >= target, "{target}: {found:?}");
        // Brute force: no higher candidate threshold reaches the target.
        let best = curve
            .points()
            .filter(|p| p.confusion.recall() >= target)
            .map(|p| p.threshold)
            .fold(f32::NEG_INFINITY, f32::max);
        assert_eq!(found.threshold, best, "{target}");
    }
}

#[test]
fn cheapest_threshold_minimises_the_cost_over_every_threshold() {
    let (scores, labels) = formula_case();
    let curve = Curve::new(&scores, &labels);
    for (c_fn, c_fp) in [
        (1.0, 1.0),
        (100.0, 1.0),
        (1.0, 100.0),
        (5.0, 0.0),
        (0.0, 5.0),
    ] {
        let best = curve.min_cost(c_fn, c_fp);
        let brute = curve
            .points()
            .map(|p| p.cost(c_fn, c_fp))
            .fold(f64::INFINITY, f64::min);
        assert_eq!(best.cost(c_fn, c_fp), brute, "costs {c_fn}, {c_fp}");
        // Dense sweep of thresholds, counted directly: none is cheaper.
        for step in 0..=1000 {
            let c = counted(&scores, &labels, step as f32 / 1000.0);
            assert!(c.fn_ as f64 * c_fn + c.fp as f64 * c_fp >= brute);
        }
    }
    // Missing frauds costs nothing: flag none (the highest threshold).
    let flag_none = curve.min_cost(0.0, 5.0);
    assert_eq!(flag_none.confusion.tp + flag_none.confusion.fp, 0);
    // False alarms cost nothing: flag all, at the highest threshold that does.
    let flag_all = curve.min_cost(5.0, 0.0);
    assert_eq!(flag_all.confusion.fn_, 0);
    assert_eq!(flag_all, curve.for_recall(1.0).unwrap());
}

#[test]
fn f1_is_the_harmonic_mean() {
    let c = Confusion {
        tp: 6,
        fp: 2,
        tn: 10,
        fn_: 4,
    };
    // P = 0.75, R = 0.6: 2·0.45/1.35.
    assert!((c.f1() - 2.0 * 0.75 * 0.6 / 1.35).abs() < 1e-15);
    assert_eq!(Confusion::default().f1(), 0.0);
}
