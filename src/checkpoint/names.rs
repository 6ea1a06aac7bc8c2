//! The names of the files a run writes in its checkpoint directory, and how to tell them
//! apart: one checkpoint per epoch, the best epoch's copy, and the hidden temporary files of a
//! write in progress.

/// The file name of the best epoch's checkpoint (`train --keep-best`), in the checkpoint
/// directory.
pub const BEST_FILE_NAME: &str = "fraud_model_best.safetensors";

/// `fraud_model_at_epoch_{epoch}.safetensors`, the name the Keras example's
/// `ModelCheckpoint("fraud_model_at_epoch_{epoch}.keras")` would give (1-based).
pub fn file_name(epoch: usize) -> String {
    format!("fraud_model_at_epoch_{epoch}.safetensors")
}

/// The epoch of a checkpoint file name, `fraud_model_at_epoch_{epoch}.safetensors`; `None`
/// for any other name, temporary files (`.fraud_model_at_epoch_….tmp`) included.
pub fn epoch_of(file_name: &str) -> Option<usize> {
    let digits = file_name
        .strip_prefix("fraud_model_at_epoch_")?
        .strip_suffix(".safetensors")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Whether `file_name` is a temporary file that fraudnet writes in a checkpoint directory: a
/// checkpoint being written (`.fraud_model_at_epoch_{epoch}.safetensors.XXXXXX.tmp`,
/// `.fraud_model_best.safetensors.XXXXXX.tmp`) or the probe of [`super::check_writable_dir`]
/// (`.fraudnet-write-test.XXXXXX`). None of these names starts like a checkpoint's.
pub fn is_temporary(file_name: &str) -> bool {
    (file_name.starts_with(".fraud_model_") && file_name.ends_with(".tmp"))
        || file_name.starts_with(".fraudnet-write-test.")
}
