//! `fraudnet plot`: the training curves of a metrics log and the precision–recall curve of a
//! checkpoint, as PNG and SVG.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use fraudnet::checkpoint;
use fraudnet::evaluation::{Evaluation, score_labelled};
use fraudnet::plot;

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// A `train --metrics-log` CSV: draws training.png/.svg (losses and validation metrics per
    /// epoch).
    #[arg(long, value_name = "CSV")]
    metrics_log: Option<PathBuf>,
    /// Draw the validation average precision of several metrics logs on one chart,
    /// val_auc_pr.png/.svg, each given as LABEL=CSV (e.g. `--compare raw=plain.csv
    /// --compare EMA=ema.csv`: the raw weights of a run without --ema are those of the same run
    /// with it).
    #[arg(long, value_name = "LABEL=CSV")]
    compare: Vec<String>,
    /// A checkpoint, with --data: draws pr_curve.png/.svg on its validation split (or every
    /// row with --all).
    #[arg(long, requires = "data")]
    checkpoint: Option<PathBuf>,
    /// Labelled transactions for --checkpoint.
    #[arg(long, requires = "checkpoint")]
    data: Option<PathBuf>,
    /// The threshold marked on the precision–recall curve [default: 0.5].
    #[arg(long, default_value_t = 0.5, allow_hyphen_values = true)]
    threshold: f32,
    /// Use every row of --data, not only the checkpoint's validation split.
    #[arg(long)]
    all: bool,
    /// Directory for the images [created if missing].
    #[arg(long, default_value = "plots")]
    out_dir: PathBuf,
}

pub fn run(args: PlotArgs) -> anyhow::Result<()> {
    if args.metrics_log.is_none() && args.checkpoint.is_none() && args.compare.is_empty() {
        bail!(
            "nothing to plot: give --metrics-log FILE, --compare LABEL=FILE and/or \
             --checkpoint FILE --data FILE"
        );
    }
    super::check_threshold(args.threshold)?;
    let mut files = Vec::new();
    if let Some(log) = &args.metrics_log {
        let rows = fraudnet::train::read_metrics_log(log)?;
        files.extend(
            plot::plot_training(&rows, &args.out_dir).context("cannot draw the training curves")?,
        );
    }
    if !args.compare.is_empty() {
        let mut series = Vec::new();
        for spec in &args.compare {
            let Some((label, log)) = spec.split_once('=') else {
                bail!("invalid setting --compare: {spec:?} is not LABEL=CSV");
            };
            let rows = fraudnet::train::read_metrics_log(std::path::Path::new(log))?;
            series.push((label.to_string(), rows));
        }
        files.extend(
            plot::plot_compare_ap(&series, &args.out_dir)
                .context("cannot draw the average precision curves")?,
        );
    }
    if let (Some(ckpt), Some(data)) = (&args.checkpoint, &args.data) {
        if !data.exists() {
            bail!("{}: data file not found", data.display());
        }
        // The weights evaluate scores by default: the average when the checkpoint has one.
        let (saved, _) = checkpoint::load(ckpt)?.with_weights(None, ckpt)?;
        let scored = score_labelled(saved, data, args.all)?;
        let evaluation = Evaluation::new(&scored.logits, &scored.labels, args.threshold, None);
        files.extend(
            plot::plot_precision_recall(
                &evaluation.ranking,
                (args.threshold, evaluation.confusion),
                None,
                &args.out_dir,
            )
            .context("cannot draw the precision–recall curve")?,
        );
    }
    let mut out = std::io::stdout().lock();
    for file in files {
        writeln!(out, "Wrote {}", file.display())?;
    }
    Ok(())
}
