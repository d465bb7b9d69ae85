//! `awsguard pre-push`: scan every commit a push would send that the remote does not have,
//! so a commit made with `--no-verify`, or on a machine without the hook, is still stopped
//! before it leaves.

use anyhow::Result;

use super::{Outcome, scan_push_to};
use crate::cli::Args;
use crate::commits;

/// Reads git's pre-push protocol from stdin; `remote` is the hook's first argument (the
/// remote's name, or the URL pushed to). Under the pre-commit framework (which gives no
/// stdin but sets `PRE_COMMIT_FROM_REF`/`PRE_COMMIT_TO_REF`), scans that range instead.
///
/// # Errors
/// Malformed input, or a commit that cannot be read.
pub fn run(args: &Args, remote: Option<&str>) -> Result<Outcome> {
    let updates = match commits::framework_update() {
        Some(update) => vec![update],
        None => commits::read_push_updates(std::io::stdin().lock())?,
    };
    let remote = remote.map(str::to_string).or_else(commits::framework_remote);
    scan_push_to(args, &updates, remote.as_deref())
}
