//! `fraudnet train`: the Keras example end to end.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use fraudnet::checkpoint;
use fraudnet::data;
use fraudnet::format::thousands;
use fraudnet::optim::AdamConfig;
use fraudnet::train::{self, DataSource, RunSettings, TrainConfig};

use super::ModelArgs;

/// Where `train` looks for the real data when `--data` is not given, in order.
const DEFAULT_DATA: [&str; 3] = [
    "data/creditcard.csv.gz",
    "data/creditcard.csv",
    "../shared/data/creditcard.csv.gz",
];

/// How to obtain the real data, shown when it is missing.
const FETCH_HINT: &str = "the real data set is the Kaggle file creditcard.csv (mlg-ulb/creditcardfraud); \
     run scripts/fetch-creditcard.sh to download and verify it into data/creditcard.csv.gz";

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// The transactions, `.csv` or gzip-compressed `.csv.gz` [default: the first of
    /// data/creditcard.csv.gz, data/creditcard.csv, ../shared/data/creditcard.csv.gz that
    /// exists, else a built-in synthetic look-alike].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Passes over the training rows (the Keras example's value).
    #[arg(long, default_value_t = 30)]
    epochs: usize,
    /// Rows per batch; the last, partial batch is used too (the Keras example's value).
    #[arg(long, default_value_t = 2048)]
    batch_size: usize,
    /// Adam's learning rate (the Keras example's `Adam(1e-2)`).
    #[arg(long, default_value_t = 1e-2, allow_negative_numbers = true)]
    learning_rate: f64,
    /// Fraction of rows, taken from the end of the file, held out for validation (the Keras
    /// example's value).
    #[arg(long, default_value_t = 0.2)]
    val_fraction: f64,
    /// Fraction of rows held out for a final test, taken from the end of the file after the
    /// validation rows [default: 0, none, as the Keras example]. Training, the validation
    /// metrics, --keep-best and --ema never read them; `fraudnet evaluate --split test` scores
    /// them.
    #[arg(long, default_value_t = 0.0)]
    test_fraction: f64,
    /// Keep an exponential moving average of the weights with this momentum, updated after
    /// every step exactly as Keras's `use_ema=True, ema_momentum=…` (0.99 is Keras's
    /// default), validate it each epoch instead of the raw weights, and save it in every
    /// checkpoint; evaluate and predict then use it [default: off].
    #[arg(long, value_name = "MOMENTUM")]
    ema: Option<f64>,
    #[command(flatten)]
    model: ModelArgs,
    /// Seed of the initialisation, dropout, shuffle and synthetic-data streams (1337: the seed
    /// of Keras's examples).
    #[arg(long, default_value_t = 1337)]
    seed: u64,
    /// Threads for the matrix products [default: one per CPU core, rayon's default]. Results
    /// are bitwise identical for any count.
    #[arg(long)]
    threads: Option<usize>,
    /// Directory for `fraud_model_at_epoch_{epoch}.safetensors` [created if missing].
    #[arg(long, default_value = "checkpoints")]
    checkpoint_dir: PathBuf,
    /// The label column's name [default: the last column].
    #[arg(long)]
    label: Option<String>,
    /// Keep the training rows in file order instead of shuffling them each epoch.
    #[arg(long)]
    no_shuffle: bool,
    /// Start from the weights in this safetensors file (tensors named `dense/kernel`
    /// `[d_in, d_out]`, `dense/bias`, `dense_1/kernel`, …), e.g. exported from Keras.
    #[arg(long)]
    init_weights: Option<PathBuf>,
    /// Write one CSV row per epoch with every metric to this file. With --resume, its rows up
    /// to the checkpoint's epoch are kept and the resumed epochs appended.
    #[arg(long)]
    metrics_log: Option<PathBuf>,
    /// Go on after the epoch of this checkpoint (or of the newest
    /// `fraud_model_at_epoch_*.safetensors` in this directory) up to --epochs: weights, Adam's
    /// state, the shuffle and dropout streams and the epoch counter continue exactly, so the
    /// result is bit for bit that of a run without a stop. The other flags must describe the
    /// same run (--data, --hidden, --dropout, --seed, --val-fraction, --test-fraction,
    /// --label, --no-shuffle, --ema);
    /// --learning-rate and --batch-size may change.
    #[arg(long, value_name = "CHECKPOINT", conflicts_with = "init_weights")]
    resume: Option<PathBuf>,
    /// Also keep the best epoch by this validation metric as fraud_model_best.safetensors in
    /// the checkpoint directory, as Keras's ModelCheckpoint(save_best_only=True): val_auc_pr,
    /// val_auc_roc, val_loss (lowest), val_recall or val_precision [default: none].
    #[arg(long, value_name = "METRIC")]
    keep_best: Option<fraudnet::train::KeepBest>,
    /// Let a new run (one without --resume) replace the checkpoints of an earlier run in
    /// --checkpoint-dir and an existing --metrics-log; without it such a run stops before
    /// training, so two runs' files never mix. The earlier files are moved aside once every
    /// input has been validated, deleted once the new run's first checkpoint is written, and
    /// moved back if the new run fails before that.
    #[arg(long, conflicts_with = "resume")]
    overwrite: bool,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    if args.threads == Some(0) {
        bail!("invalid setting --threads: must be at least 1");
    }
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("cannot start the thread pool")?;
    }
    let settings = RunSettings {
        config: TrainConfig {
            epochs: args.epochs,
            batch_size: args.batch_size,
            adam: AdamConfig {
                learning_rate: args.learning_rate,
                ..AdamConfig::default()
            },
            seed: args.seed,
            shuffle: !args.no_shuffle,
            checkpoint_dir: args.checkpoint_dir.clone(),
            val_fraction: args.val_fraction,
            test_fraction: args.test_fraction,
            ema: args.ema,
            data_source: String::new(),
            keep_best: args.keep_best,
        },
        hidden: args.model.hidden.clone(),
        dropout: args.model.dropout(),
        label: args.label.clone(),
        init_weights: args.init_weights.clone(),
        metrics_log: args.metrics_log.clone(),
        resume: args.resume.clone(),
        overwrite: args.overwrite,
        describe_mismatch: super::resume_words::refusal,
        describe_change: super::resume_words::change_flag,
    };
    // Settings first: a typo fails in milliseconds, before the synthetic data is built. One
    // dropout rate per hidden layer is checked in the words of the flags.
    args.model.architecture(1)?;
    train::check_settings(&settings)?;
    let data = match data_file(&args)? {
        Some(path) => DataSource::File(path),
        None => synthetic(&args)?,
    };
    let outcome = train::run(
        &settings,
        data,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr(),
        &mut checkpoint::write_atomically,
    )?;
    if let Some(path) = outcome.last_checkpoint {
        println!("Last checkpoint: {}", path.display());
    }
    Ok(())
}

/// `--data`, or the first default file present; `None`: train on the synthetic data.
fn data_file(args: &TrainArgs) -> anyhow::Result<Option<PathBuf>> {
    match &args.data {
        Some(path) => {
            if !path.exists() {
                bail!("{}: data file not found; {FETCH_HINT}", path.display());
            }
            Ok(Some(path.clone()))
        }
        None => Ok(DEFAULT_DATA
            .iter()
            .map(Path::new)
            .find(|p| p.exists())
            .map(Path::to_path_buf)),
    }
}

/// The synthetic data set, announced loudly.
fn synthetic(args: &TrainArgs) -> anyhow::Result<DataSource> {
    let banner = "=".repeat(78);
    let message = format!(
        "{banner}\nSYNTHETIC DATA: none of {} exists, so this run trains on a built-in\n\
         synthetic look-alike ({} rows, {} frauds, the per-class means of the real data,\n\
         45% of the frauds close to legitimate rows). Its numbers say nothing about\n\
         real fraud detection; {FETCH_HINT}.\n{banner}",
        DEFAULT_DATA.join(", "),
        thousands(data::SYNTHETIC_ROWS),
        data::SYNTHETIC_POSITIVES
    );
    println!("{message}");
    eprintln!("warning: training on SYNTHETIC data (see the banner on standard output)");
    let mut table = data::synthetic_table(args.seed);
    if let Some(label) = &args.label {
        if *label != table.label_name {
            bail!(
                "invalid setting --label: the synthetic data's label column is {:?}",
                table.label_name
            );
        }
        table.label_name = label.clone();
    }
    Ok(DataSource::Table {
        table,
        source: "<synthetic>".into(),
    })
}
