//! On the real data (skipped, saying why, when it is absent): one epoch of training, then
//! `evaluate` reproduces the checkpoint's validation counts, average precision and ROC AUC, and
//! `predict` streams the whole gzip file into one probability per row, equal to the
//! probabilities `evaluate` scored in memory.

mod common;

use common::fraudnet;
use fraudnet::checkpoint;
use fraudnet::evaluation::{Rows, score_labelled};
use fraudnet::ranking::Curve;

#[test]
fn evaluate_and_predict_a_real_checkpoint() {
    let Some(data) = common::real_data() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("ckpt");
    common::train_ok(&data, &ckpt, &["--epochs", "1"]);
    let path = ckpt.join(checkpoint::file_name(1));
    let saved = checkpoint::load(&path).unwrap();
    let m = saved.meta.metrics;

    let all = score_labelled(saved.clone(), &data, true).unwrap();
    assert_eq!(all.probs.len(), 284_807);
    let val = score_labelled(saved, &data, false).unwrap();
    assert_eq!(
        val.rows,
        Rows::Validation {
            first: 227_847,
            of: 284_807
        }
    );
    assert_eq!(
        val.probs[..],
        all.probs[227_846..],
        "the split is the file's tail"
    );
    let curve = Curve::new(&val.probs, &val.labels);
    assert_eq!(curve.at(0.5), m.val);
    assert_eq!((curve.positives, curve.negatives), (75, 56_886));
    // Average precision and ROC AUC rank by logit, in training as in evaluate.
    let ranking = Curve::new(&val.logits, &val.labels);
    assert!((ranking.average_precision().unwrap() - m.val_auc_pr.unwrap()).abs() < 1e-15);
    assert!((ranking.roc_auc().unwrap() - m.val_auc_roc.unwrap()).abs() < 1e-15);
    eprintln!(
        "by probability: AP {:?}, ROC AUC {:?}; by logit: AP {:?}, ROC AUC {:?}",
        curve.average_precision(),
        curve.roc_auc(),
        ranking.average_precision(),
        ranking.roc_auc()
    );

    let output = dir.path().join("scores.csv");
    let out = fraudnet()
        .args(["predict", "--row-numbers", "--checkpoint"])
        .arg(&path)
        .arg("--data")
        .arg(&data)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Scored 284,807 rows"), "{stderr}");
    let text = std::fs::read_to_string(&output).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("row,probability"));
    let mut n = 0;
    for (i, line) in lines.enumerate() {
        assert_eq!(line, format!("{},{}", i + 1, all.probs[i]));
        n += 1;
    }
    assert_eq!(n, 284_807);
}
