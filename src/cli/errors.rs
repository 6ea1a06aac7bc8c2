//! The library's terms, spoken as the command line's: each parameter a library error names
//! (`validation fraction`, `hidden`, `dropout rate`, …) is shown as the flag that sets it.

use fraudnet::Error;

/// The flag that sets the library parameter `name`, or `None` for a parameter no flag sets
/// (`inputs`, say, which comes from the data's columns).
pub fn flag(name: &str) -> Option<&'static str> {
    Some(match name {
        "hidden" => "--hidden",
        "dropout rate" | "dropout" => "--dropout",
        "learning rate" => "--learning-rate",
        "batch size" => "--batch-size",
        "epochs" => "--epochs",
        "validation fraction" => "--val-fraction",
        "test fraction" => "--test-fraction",
        "ema momentum" => "--ema",
        "weights" => "--weights",
        "split" => "--split",
        "label" => "--label",
        "seed" => "--seed",
        "id column" => "--id-column",
        "output" => "--output",
        "threshold" => "--threshold",
        "overwrite" => "--overwrite",
        "init weights" => "--init-weights",
        "metrics log" => "--metrics-log",
        "checkpoint directory" => "--checkpoint-dir",
        "resume" => "--resume",
        "size" => "--size",
        _ => return None,
    })
}

/// An error as `fraudnet` prints it after `error: `: its chain of causes joined by `: ` (as
/// `anyhow`'s `{:#}`), with an [`Error::Config`] shown as `invalid setting --flag: …` where a
/// flag sets the parameter it names.
pub fn describe(error: &anyhow::Error) -> String {
    error
        .chain()
        .map(|cause| match cause.downcast_ref::<Error>() {
            Some(Error::Config { name, message }) => match flag(name) {
                Some(flag) => format!("invalid setting {flag}: {message}"),
                // Already a flag (an error built by the command line itself).
                None if name.starts_with("--") => format!("invalid setting {name}: {message}"),
                None => cause.to_string(),
            },
            _ => cause.to_string(),
        })
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_error_is_shown_with_its_flag_inside_any_context() {
        let e = anyhow::Error::from(Error::Config {
            name: "validation fraction",
            message: "must be strictly between 0 and 1".into(),
        })
        .context("cannot train");
        assert_eq!(
            describe(&e),
            "cannot train: invalid setting --val-fraction: must be strictly between 0 and 1"
        );
        let e = anyhow::Error::from(Error::Config {
            name: "inputs",
            message: "the model needs at least one input feature".into(),
        });
        assert_eq!(
            describe(&e),
            "invalid inputs: the model needs at least one input feature"
        );
    }
}
