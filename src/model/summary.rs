//! The Keras-style summary table of an architecture (`model.summary()`), computed from the
//! architecture alone: no weights are allocated, so any size can be described.

use super::architecture::{Architecture, LayerSpec};
use crate::format::thousands;

/// The Keras-style summary table: each layer's name and type, output shape and parameter
/// count, then the totals in parameters and in bytes as f32 (139,777 parameters, 546.00 KB for
/// [`Architecture::reference`]). Counts too large for `usize` print as `overflow`.
///
/// # Reference
/// `keras.Model.summary()` (keras/src/utils/summary_utils.py), whose layout and byte units
/// (1 KB = 1024 B) it copies.
pub fn summary(architecture: &Architecture) -> String {
    let mut rows: Vec<(String, String, Option<usize>)> = Vec::new();
    let (mut n_dense, mut n_dropout) = (0, 0);
    let mut width = architecture.inputs;
    for spec in &architecture.layers {
        match *spec {
            LayerSpec::Dense { units, .. } => {
                let params = width.checked_mul(units).and_then(|w| w.checked_add(units));
                rows.push((
                    format!("{} (Dense)", keras_name("dense", &mut n_dense)),
                    format!("(None, {units})"),
                    params,
                ));
                width = units;
            }
            LayerSpec::Dropout { .. } => rows.push((
                format!("{} (Dropout)", keras_name("dropout", &mut n_dropout)),
                format!("(None, {width})"),
                Some(0),
            )),
        }
    }
    let total = architecture.parameter_count();
    let count = |n: Option<usize>| n.map_or_else(|| "overflow".to_string(), thousands);
    let bar = |l: &str, m: &str, r: &str, fill: &str| {
        format!(
            "{l}{}{m}{}{m}{}{r}\n",
            fill.repeat(33),
            fill.repeat(24),
            fill.repeat(15)
        )
    };
    let mut s = String::from("Model: \"sequential\"\n");
    s += &bar("┏", "┳", "┓", "━");
    s += &format!(
        "┃ {:<31} ┃ {:<22} ┃ {:>13} ┃\n",
        "Layer (type)", "Output Shape", "Param #"
    );
    s += &bar("┡", "╇", "┩", "━");
    for (name, shape, params) in &rows {
        s += &format!("│ {name:<31} │ {shape:<22} │ {:>13} │\n", count(*params));
    }
    s += &bar("└", "┴", "┘", "─");
    let size = total
        .and_then(|t| t.checked_mul(4))
        .map_or_else(|| "overflow".to_string(), human_bytes);
    s += &format!(" Total params: {} ({size})\n", count(total));
    s += &format!(" Trainable params: {} ({size})\n", count(total));
    s += " Non-trainable params: 0 (0.00 B)\n";
    s
}

/// Keras's naming: the first layer of a kind is `dense`, the next `dense_1`, `dense_2`, …
pub(super) fn keras_name(base: &str, count: &mut usize) -> String {
    let name = if *count == 0 {
        base.to_string()
    } else {
        format!("{base}_{count}")
    };
    *count += 1;
    name
}

/// Bytes in Keras's summary style: `559108` → `"546.00 KB"` (units of 1024).
fn human_bytes(bytes: usize) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", units[unit])
}
