//! The Keras-style summary table of an architecture (`model.summary()`), computed from the
//! architecture alone: no weights are allocated, so any size can be described.

use super::architecture::{Architecture, LayerSpec};
use crate::format::thousands;

/// The Keras-style summary table: each layer's name and type, output shape and parameter
/// count, then the totals in parameters and in bytes as f32 (139,777 parameters, 546.00 KB for
/// [`Architecture::reference`]). Counts are made in `u128`, so any architecture's fit.
///
/// # Reference
/// `keras.Model.summary()` (keras/src/utils/summary_utils.py), whose layout and byte units
/// (1 KB = 1024 B) it copies.
pub fn summary(architecture: &Architecture) -> String {
    let mut rows: Vec<(String, String, u128)> = Vec::new();
    let (mut n_dense, mut n_dropout) = (0, 0);
    let mut width = architecture.inputs;
    for spec in &architecture.layers {
        match *spec {
            LayerSpec::Dense { units, .. } => {
                // In u128: (2⁶⁴)² fits, so no count of usize sizes overflows.
                let params = width as u128 * units as u128 + units as u128;
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
                0,
            )),
        }
    }
    let total: u128 = rows.iter().map(|r| r.2).sum();
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
        s += &format!(
            "│ {name:<31} │ {shape:<22} │ {:>13} │\n",
            thousands(*params)
        );
    }
    s += &bar("└", "┴", "┘", "─");
    let size = human_bytes(total.saturating_mul(4));
    s += &format!(" Total params: {} ({size})\n", thousands(total));
    s += &format!(" Trainable params: {} ({size})\n", thousands(total));
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
fn human_bytes(bytes: u128) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", units[unit])
}
