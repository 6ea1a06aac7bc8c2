//! The architecture flags shared by `train`, `summary` and `gradcheck`.

use clap::Args;
use fraudnet::model::Architecture;

/// `--hidden` and `--dropout`.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// Units of each hidden Dense+ReLU layer, comma-separated [default from the Keras example].
    #[arg(long, value_delimiter = ',', default_value = "256,256,256")]
    pub hidden: Vec<usize>,
    /// Dropout rate after each hidden layer, one per --hidden entry, 0 for none [default from
    /// the Keras example: Dropout(0.3) after the second and third layers].
    #[arg(long, value_delimiter = ',', default_value = "0,0.3,0.3")]
    pub dropout: Vec<f64>,
}

impl ModelArgs {
    /// The architecture for `inputs` features.
    pub fn architecture(&self, inputs: usize) -> fraudnet::Result<Architecture> {
        Architecture::mlp(inputs, &self.hidden, &self.dropout)
    }
}
