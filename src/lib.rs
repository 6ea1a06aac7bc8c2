//! # fraudnet
//!
//! A from-scratch neural-network engine over `ndarray`, and the training job built on it: the
//! Keras example "Imbalanced classification: credit card fraud detection", re-created with every
//! forward and backward pass written by hand.
//!
//! Data flows one way: [`data`] → [`model`] (made of [`layers`], using [`linalg`]) → [`loss`] →
//! back through [`model`] → [`optim`]; [`train`] drives the loop and calls [`metrics`] and
//! [`checkpoint`]. The engine (`linalg`, `layers`, `loss`, `optim`, `model`) knows nothing of CSV
//! files, terminals or the credit-card schema.
//!
//! For practitioners: [`evaluation`] judges a checkpoint on labelled rows (average precision,
//! ROC AUC, thresholds by recall or cost, from [`ranking`]), [`predict`] scores a file of any
//! size with it, and [`plot`] draws the training curves and the precision–recall curve.
//!
//! The derivation of every backward formula is in `docs/backprop.md`.

pub mod checkpoint;
pub mod data;
pub mod error;
pub mod evaluation;
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
pub use layers::Mode;
