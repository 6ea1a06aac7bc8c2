//! The architecture flags shared by `train`, `summary` and `gradcheck`.

use clap::Args;
use fraudnet::model::Architecture;

/// The dropout rate the Keras example puts after every hidden layer but the first.
const EXAMPLE_DROPOUT: f64 = 0.3;

/// `--hidden` and `--dropout`.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// Units of each hidden Dense+ReLU layer, comma-separated (the Keras example's value).
    #[arg(long, value_delimiter = ',', default_value = "256,256,256")]
    pub hidden: Vec<usize>,
    /// Dropout rate after each hidden layer, one per --hidden entry, 0 for none [default: the
    /// Keras example's pattern, none after the first hidden layer and 0.3 after each later
    /// one: 0,0.3,0.3 for the default --hidden].
    #[arg(long, value_delimiter = ',')]
    pub dropout: Option<Vec<f64>>,
}

impl ModelArgs {
    /// The dropout rates: as given, or the example's pattern for the number of hidden layers.
    pub fn dropout(&self) -> Vec<f64> {
        self.dropout.clone().unwrap_or_else(|| {
            (0..self.hidden.len())
                .map(|i| if i == 0 { 0.0 } else { EXAMPLE_DROPOUT })
                .collect()
        })
    }

    /// The architecture for `inputs` features. That `--dropout` gives one rate per `--hidden`
    /// entry is checked here, in the words of the flags; the rest by [`Architecture::mlp`].
    pub fn architecture(&self, inputs: usize) -> fraudnet::Result<Architecture> {
        let dropout = self.dropout();
        if self.hidden.len() != dropout.len() {
            return Err(fraudnet::Error::Config {
                name: "--dropout",
                message: format!(
                    "--hidden lists {} layers but --dropout lists {} rates; give one rate per \
                     hidden layer (0 for none)",
                    self.hidden.len(),
                    dropout.len()
                ),
            });
        }
        Architecture::mlp(inputs, &self.hidden, &dropout)
    }
}
