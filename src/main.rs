//! `fraudnet`: the command-line front end. It only parses arguments, calls the library and
//! prints, in the words of its flags ([`cli::describe`]).

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cli::describe(&e));
            std::process::ExitCode::FAILURE
        }
    }
}
