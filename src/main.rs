//! `fraudnet`: the command-line front end. It only parses arguments, calls the library and
//! prints, in the words of its flags ([`cli::describe`]).

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The reader of our output went away (`fraudnet evaluate … | head`): nothing is
        // wrong, and nothing more can be said; stop quietly, as `head`'s other writers do.
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cli::describe(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Whether `e` (or an error it wraps) is a write to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || matches!(
                cause.downcast_ref::<fraudnet::Error>(),
                Some(fraudnet::Error::Io { error, .. }) if error.kind() == std::io::ErrorKind::BrokenPipe
            )
    })
}
