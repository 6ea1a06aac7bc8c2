//! # fraudnet
//!
//! A from-scratch neural-network engine over `ndarray`, and the training job built on it: the
//! Keras example "Imbalanced classification: credit card fraud detection", re-created with every
//! forward and backward pass written by hand.
//!
//! Data flows one way: [`data`] → [`model`] (made of [`layers`], using [`linalg`] and
//! [`activation`]) → [`loss`] → back through [`model`] → [`optim`]; [`train`] drives the loop
//! and calls [`metrics`] and [`checkpoint`]. The engine (`activation`, `linalg`, `layers`,
//! `loss`, `optim`, `model`) knows nothing of CSV files or the credit-card schema.
//!
//! To learn how it works, read [`model::reference`] first: a whole forward and backward pass as
//! plain layer calls. [`model::Sequential`], which trains, runs the same layers fused into the
//! fast product ([`layers::DenseBlock`]), equal to the reference bit for bit.
//!
//! Each module imports only from the modules below it, in this order from the bottom:
//! [`error`], [`rng`], [`format`](mod@format), [`atomic_file`]; the engine; [`metrics`], [`ranking`],
//! [`data`]; [`checkpoint`] (which knows its own file names, and nothing of [`train`]);
//! [`train`]; then the applications [`evaluation`], [`predict`] and [`plot`]. The library never
//! speaks of the command line: an [`Error::Config`] names a parameter in its own terms
//! (`batch size`, `validation fraction`, `dropout rate`), and the `fraudnet` binary (`src/cli/`)
//! maps it to the flag that sets it and owns every sentence that names a flag.
//!
//! For practitioners: [`evaluation`] judges a checkpoint on labelled rows (average precision,
//! ROC AUC, thresholds by recall or cost, from [`ranking`]), [`predict`] scores a file of any
//! size with it, and [`plot`] draws the training curves and the precision–recall curve.
//!
//! The derivation of every backward formula is in `docs/backprop.md`.

pub mod activation;
pub mod atomic_file;
pub mod checkpoint;
pub mod data;
pub mod error;
pub mod evaluation;
pub mod format;
pub mod gradcheck;
pub mod layers;
pub mod linalg;
pub mod loss;
pub mod metrics;
pub mod model;
pub mod optim;
pub mod peak;
pub mod plot;
pub mod predict;
pub mod ranking;
pub mod rng;
pub mod sizes;
pub mod train;

pub use error::{Error, Result};
pub use model::Mode;
