//! The `awsguard` binary: parse arguments, run, and turn the outcome into an exit code.
//!
//! 0 means nothing was found, 1 that credentials were found, 2 that something went wrong.
//! Both 1 and 2 block the commit: awsguard fails closed, even on a panic.

use std::io::Write;
use std::process::ExitCode;

/// Writes a message to stderr, ignoring failure: with stderr closed, full or a broken pipe,
/// `eprintln!` would panic, and a panic in the panic hook aborts (134) instead of exiting 2.
fn tell(message: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(message).and_then(|()| err.write_all(b"\n"));
}

fn main() -> ExitCode {
    // A panic must block the commit with a message, never exit 0 or 101 with a bare
    // backtrace: report it and exit 2 before any unwinding.
    std::panic::set_hook(Box::new(|info| {
        tell(format_args!(
            "awsguard: internal error: {info}\n\
             awsguard could not finish its check, so the commit is blocked. Please report this \
             bug (see SECURITY.md). To commit once without the check: git commit --no-verify"
        ));
        std::process::exit(2);
    }));
    let args = match awsguard::cli::parse() {
        Ok(args) => args,
        Err(e) => {
            tell(format_args!("awsguard: {e:#}\nRun `awsguard --help`, or `awsguard help COMMAND`, for usage."));
            return ExitCode::from(2);
        }
    };
    match awsguard::run(&args) {
        Ok(awsguard::Outcome::Clean) => ExitCode::SUCCESS,
        Ok(awsguard::Outcome::Blocked) => ExitCode::from(1),
        Err(e) => {
            // Advice that fits what failed: only a hook is bypassed with --no-verify, and a
            // server's hook not at all.
            let advice = match &args.command {
                awsguard::cli::Command::PrePush(_) => {
                    "awsguard could not complete its check, so it blocked the push. Fix the cause above; \
                     to push once without the check: git push --no-verify"
                }
                awsguard::cli::Command::PreReceive(_) => {
                    "awsguard could not complete its check, so the server rejected the push. Fix the cause \
                     above, or ask the server's administrator."
                }
                c if c.is_hook() => {
                    "awsguard could not complete its check, so it blocked the commit. Fix the cause above; \
                     to commit once without the check: git commit --no-verify"
                }
                _ => "Fix the cause above and run the command again (exit status 2).",
            };
            tell(format_args!("awsguard: error: {e:#}\n{advice}"));
            ExitCode::from(2)
        }
    }
}
