//! `fraudnet train`: the Keras example end to end.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use fraudnet::checkpoint;
use fraudnet::data::{self, Table};
use fraudnet::format::thousands;
use fraudnet::model::Sequential;
use fraudnet::optim::AdamConfig;
use fraudnet::rng::{self, Stream};
use fraudnet::train::{self, MetricsLog, TrainConfig, TrainState};

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
    /// same run (--data, --hidden, --dropout, --seed, --val-fraction, --label, --no-shuffle);
    /// --learning-rate and --batch-size may change.
    #[arg(long, value_name = "CHECKPOINT", conflicts_with = "init_weights")]
    resume: Option<PathBuf>,
    /// Also keep the best epoch by this validation metric as fraud_model_best.safetensors in
    /// the checkpoint directory, as Keras's ModelCheckpoint(save_best_only=True): val_auc_pr,
    /// val_auc_roc, val_loss (lowest), val_recall or val_precision [default: none].
    #[arg(long, value_name = "METRIC")]
    keep_best: Option<fraudnet::train::KeepBest>,
    /// Let a new run (one without --resume) delete the checkpoints of an earlier run in
    /// --checkpoint-dir and replace an existing --metrics-log; without it such a run stops
    /// before training, so two runs' files never mix.
    #[arg(long, conflicts_with = "resume")]
    overwrite: bool,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    validate(&args)?;
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("cannot start the thread pool")?;
    }
    checkpoint::check_writable_dir(&args.checkpoint_dir)?;
    for stale in checkpoint::remove_stale_temporaries(&args.checkpoint_dir)? {
        println!("Removed {}, left by an interrupted write", stale.display());
    }
    if args.resume.is_none() {
        make_room_for_a_new_run(&args)?;
    }
    let resume_from = args
        .resume
        .as_deref()
        .map(super::resume::read)
        .transpose()?;
    let (table, source) = load(&args)?;
    print_data(&table);
    let architecture = args.model.architecture(table.feature_names.len())?;
    // The library's errors already name the file.
    let prepared = train::prepare(table, args.val_fraction)?;
    println!("Number of training samples: {}", prepared.train_y.len());
    println!("Number of validation samples: {}", prepared.val_y.len());
    let positives = prepared.train_y.iter().filter(|&&y| y > 0.5).count();
    println!(
        "Number of positive samples in training data: {positives} ({:.2}% of total)",
        100.0 * positives as f64 / prepared.train_y.len() as f64
    );
    println!(
        "Class weights: 0 → {:e}, 1 → {:e}",
        prepared.class_weight[0], prepared.class_weight[1]
    );
    for name in &prepared.constant_columns {
        eprintln!(
            "warning: column {name:?} is constant in the training rows; it is standardised to 0"
        );
    }
    let mut model =
        Sequential::<f32>::new(&architecture, &mut rng::stream(args.seed, Stream::Init))?;
    if let Some(path) = &args.init_weights {
        checkpoint::load_weights(path, &mut model)?;
        println!("Initial weights from {}", path.display());
    }
    print!("{}", model.summary());
    let config = TrainConfig {
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
        data_source: source,
        keep_best: args.keep_best,
    };
    let (state, mut log) = match resume_from {
        Some(from) => super::resume::start(
            from,
            &config,
            &architecture,
            &prepared,
            args.metrics_log.as_deref(),
        )?,
        None => (
            TrainState::fresh(model, &config),
            args.metrics_log
                .as_deref()
                .map(MetricsLog::create)
                .transpose()?,
        ),
    };
    let outcome = train::fit_from(
        &config,
        &prepared,
        state,
        log.as_mut(),
        &mut std::io::stdout().lock(),
        &mut checkpoint::write_atomically,
    )?;
    if let Some(path) = outcome.last_checkpoint {
        println!("Last checkpoint: {}", path.display());
    }
    Ok(())
}

/// A new run must not mix its checkpoints and metrics log with an earlier run's: stop, or with
/// --overwrite delete the earlier checkpoints (the log is replaced when it is created).
fn make_room_for_a_new_run(args: &TrainArgs) -> anyhow::Result<()> {
    let earlier = checkpoint::run_files(&args.checkpoint_dir)?;
    // A log holding epoch rows belongs to an earlier run; a header alone (a run stopped
    // before its first epoch ended) is replaced freely.
    let has_rows = |log: &Path| {
        std::fs::read_to_string(log)
            .is_ok_and(|text| text.lines().filter(|l| !l.trim().is_empty()).count() > 1)
    };
    if let Some(log) = args
        .metrics_log
        .as_deref()
        .filter(|log| !args.overwrite && has_rows(log))
    {
        bail!(
            "{}: holds the metrics of an earlier run; continue that run with --resume, \
             choose another --metrics-log, or pass --overwrite to replace it",
            log.display()
        );
    }
    if earlier.is_empty() {
        return Ok(());
    }
    if !args.overwrite {
        bail!(
            "{}: holds {} checkpoint file(s) of an earlier run ({} … {}); continue it with \
             --resume {}, choose another --checkpoint-dir, or pass --overwrite to delete them first",
            args.checkpoint_dir.display(),
            earlier.len(),
            file_label(&earlier[0]),
            file_label(&earlier[earlier.len() - 1]),
            args.checkpoint_dir.display(),
        );
    }
    for file in &earlier {
        std::fs::remove_file(file).with_context(|| {
            format!(
                "{}: cannot delete the earlier run's checkpoint",
                file.display()
            )
        })?;
    }
    println!(
        "Deleted {} checkpoint file(s) of an earlier run in {} (--overwrite)",
        earlier.len(),
        args.checkpoint_dir.display()
    );
    Ok(())
}

fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Checks every setting before any data is read, so a typo fails in milliseconds.
fn validate(args: &TrainArgs) -> anyhow::Result<()> {
    if args.batch_size == 0 {
        bail!("invalid setting --batch-size: must be at least 1");
    }
    if args.epochs == 0 {
        bail!("invalid setting --epochs: must be at least 1");
    }
    if !(args.val_fraction > 0.0 && args.val_fraction < 1.0) {
        bail!(
            "invalid setting --val-fraction: {} is outside (0, 1)",
            args.val_fraction
        );
    }
    if !(args.learning_rate > 0.0 && args.learning_rate.is_finite()) {
        bail!(
            "invalid setting --learning-rate: {} must be a positive number",
            args.learning_rate
        );
    }
    if args.threads == Some(0) {
        bail!("invalid setting --threads: must be at least 1");
    }
    args.model.architecture(1)?;
    Ok(())
}

/// Reads `--data`, or the first default file present, or builds the synthetic data set.
fn load(args: &TrainArgs) -> anyhow::Result<(Table, String)> {
    let path = match &args.data {
        Some(path) => {
            if !path.exists() {
                bail!("{}: data file not found; {FETCH_HINT}", path.display());
            }
            path.clone()
        }
        None => match DEFAULT_DATA.iter().map(Path::new).find(|p| p.exists()) {
            Some(path) => path.to_path_buf(),
            None => {
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
                eprintln!(
                    "warning: training on SYNTHETIC data (see the banner on standard output)"
                );
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
                return Ok((table, "<synthetic>".into()));
            }
        },
    };
    println!("Reading {}", path.display());
    let table = data::read_table(&path, args.label.as_deref())?;
    Ok((table, path.display().to_string()))
}

/// What the Keras example prints about its data.
fn print_data(table: &Table) {
    let header: Vec<String> = table
        .feature_names
        .iter()
        .chain([&table.label_name])
        .map(|n| format!("{n:?}"))
        .collect();
    println!("HEADER: {}", header.join(","));
    if table.rows() > 0 {
        println!("EXAMPLE FEATURES: {:?}", table.features.row(0).to_vec());
    }
    println!(
        "features.shape: ({}, {})",
        table.rows(),
        table.feature_names.len()
    );
    println!("targets.shape: ({}, 1)", table.rows());
}
