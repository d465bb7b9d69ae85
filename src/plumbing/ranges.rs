//! Commit ranges in a repository libgit2 cannot open (SHA-256 objects): what `history`,
//! `pre-push` and `pre-receive`/`update` scan, read through git itself.
//!
//! The commits come from `git rev-list`, each commit's changes from `git diff-tree` against
//! its first parent (a root commit against the empty tree), and blobs from one
//! `git cat-file --batch`. As for the pre-commit check ([`super::staged`]), what the pass
//! needs of each commit is copied into a temporary SHA-1 repository and the pass runs there
//! unchanged; each finding names the real commit. The rules are those of
//! [`crate::commits`]: what a push sends is judged against the pushed-to remote's tracking
//! refs, what a push received adds against every ref of the repository (its objects read
//! from git's quarantine, which git's own environment points the plumbing at), and lines a
//! merge's other parents already had are not new.

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use anyhow::{Context, Result, anyhow, bail};
use git2::Repository;

use super::{Batch, Copied, Copier, Git, Location, Raw, Scratch, copy_changes, link_lfs_store, locate, parse_raw};
use super::{failure, head_with, rev_parse, run};
use crate::changes::Changes;
use crate::cli::Args;
use crate::commits::Update;
use crate::config::{Config, REPO_FILE, RepoFile};
use crate::findings::Checked;
use crate::objects::Objects;
use crate::pass::{Checker, MESSAGE_PATH, TAG_MESSAGE_PATH, check_message};
use crate::repo::Unreadable;
use crate::report::escape;
use crate::rules::RULES;
use crate::scan::Scanner;

/// The repository as git reads it, and the temporary SHA-1 repository the pass runs in.
pub struct Mirror {
    git: Git,
    repo: Repository,
    // Dropped after `repo`: the directory it lives in.
    _scratch: Scratch,
}

/// The commits of a scan, oldest first, each with its parents (real object IDs), and the
/// commit whose `.awsguard.toml` applies to them all.
#[derive(Debug, Default)]
pub struct GitRange {
    pub commits: Vec<(String, Vec<String>)>,
    pub tip: Option<String>,
    /// The annotated tags pushed (a tag of a tag too), by ID: their messages are scanned.
    pub tags: Vec<String>,
}

/// One ref a push to this repository updates, with object IDs as git gives them (40 or 64
/// hexadecimal digits; all zeros for a creation or a deletion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub name: String,
    pub old: String,
    pub new: String,
}

impl Received {
    /// An update from the update hook's arguments `<ref> <old> <new>`.
    ///
    /// # Errors
    /// When an object ID is not a full hexadecimal ID.
    pub fn new(name: &str, old: &str, new: &str) -> Result<Received> {
        Ok(Received { name: name.to_string(), old: full_id(old)?.to_string(), new: full_id(new)?.to_string() })
    }
}

/// Reads git's pre-receive protocol: `<old oid> <new oid> <ref>` per line.
///
/// # Errors
/// A line of another shape, or unreadable input.
pub fn read_received(input: impl BufRead) -> Result<Vec<Received>> {
    let mut updates = Vec::new();
    for line in input.lines() {
        let line = line.context("reading the refs being received from stdin")?;
        match line.split_whitespace().collect::<Vec<_>>()[..] {
            [] => continue,
            [old, new, name] => updates.push(Received::new(name, old, new)?),
            _ => bail!("unexpected pre-receive input {line:?}: expected `<old oid> <new oid> <ref>`"),
        }
    }
    Ok(updates)
}

/// A full object ID of either format, as git's hook protocols give them.
fn full_id(text: &str) -> Result<&str> {
    if !matches!(text.len(), 40 | 64) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("{text:?} is not a full object ID");
    }
    Ok(text)
}

fn is_zero(id: &str) -> bool {
    id.bytes().all(|b| b == b'0')
}

impl Mirror {
    /// The repository git finds from the current directory and environment (bare ones
    /// included), with an empty temporary SHA-1 repository beside it.
    ///
    /// # Errors
    /// When git cannot read it either (the message gives both reasons).
    pub fn open(unreadable: &Unreadable) -> Result<Mirror> {
        let Location { git_dir, common_dir, root } = locate().map_err(|e| {
            anyhow!(
                "cannot read the git repository: libgit2 cannot open it ({}), and git cannot either: {e:#}",
                unreadable.0.message()
            )
        })?;
        let scratch = Scratch::new()?;
        let repo = Repository::init_bare(&scratch.0).context("creating a temporary repository")?;
        link_lfs_store(&common_dir, &scratch.0)?;
        Ok(Mirror { git: Git { git_dir, root, index: None }, repo, _scratch: scratch })
    }

    /// The commit HEAD points at, or `None` on an unborn branch.
    ///
    /// # Errors
    /// When HEAD names an object that is not a commit, or git fails.
    pub fn head(&self) -> Result<Option<String>> {
        head_with(|| self.git.command())
    }

    /// The commit `spec` names, as git resolves it.
    fn resolve(&self, spec: &str) -> Result<String> {
        rev_parse(self.git.command(), &format!("{spec}^{{commit}}"))?
            .with_context(|| format!("resolving {spec:?}: no such commit"))
    }

    /// `git rev-list` over `args`, oldest first, each commit with its parents.
    fn rev_list(&self, args: &[String]) -> Result<Vec<(String, Vec<String>)>> {
        let mut cmd = self.git.command();
        cmd.args(["rev-list", "--reverse", "--topo-order", "--parents"]).args(args);
        let output = run(&mut cmd)?;
        if !output.status.success() {
            return Err(failure("rev-list", &output));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let mut commits = Vec::new();
        for line in text.lines() {
            let mut ids = line.split(' ').map(str::to_string);
            let Some(id) = ids.next().filter(|id| full_id(id).is_ok()) else {
                bail!("malformed `git rev-list` output: {line:?}");
            };
            commits.push((id, ids.collect()));
        }
        Ok(commits)
    }

    /// The commits of `spec` (`A..B`, or a revision and its ancestors), with the allowlist
    /// of its end.
    ///
    /// # Errors
    /// A range or revision that does not resolve.
    pub fn history(&self, spec: &str) -> Result<GitRange> {
        let end = spec.rsplit("..").next().filter(|s| !s.is_empty()).unwrap_or("HEAD");
        let mut args = Vec::new();
        match spec.split_once("..") {
            Some((_, rest)) if rest.starts_with('.') => {
                bail!("{spec:?}: symmetric differences (A...B) are not supported")
            }
            Some((start, _)) => {
                args.push(self.resolve(end)?);
                args.push(format!("^{}", self.resolve(if start.is_empty() { "HEAD" } else { start })?));
            }
            None => args.push(self.resolve(spec)?),
        }
        let tip = Some(args[0].clone());
        Ok(GitRange { commits: self.rev_list(&args)?, tip, tags: Vec::new() })
    }

    /// Every commit any ref reaches (`history --all`), and every annotated tag a ref names,
    /// with HEAD's allowlist (none when HEAD is unborn).
    ///
    /// # Errors
    /// When git cannot list them.
    pub fn all_refs(&self) -> Result<GitRange> {
        let commits = self.rev_list(&["--all".to_string()])?;
        let listed = self.git.output(&["for-each-ref", "--format=%(objectname) %(objecttype)"])?;
        let mut tags: Vec<String> = Vec::new();
        // Several refs may name one tag; a repository may hold tens of thousands. (Kept as
        // bytes: a set of them is already in the binary, one of strings would cost 800 B.)
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        for line in String::from_utf8_lossy(&listed).lines() {
            if let Some(id) = line.strip_suffix(" tag").filter(|id| !seen.contains(id.as_bytes())) {
                tags.extend(self.tags(id)?.into_iter().filter(|tag| seen.insert(tag.as_bytes().to_vec())));
            }
        }
        Ok(GitRange { commits, tip: head_with(|| self.git.command()).ok().flatten(), tags })
    }

    /// The commits a push to `remote` sends, as [`crate::commits::pushed`] has them: those
    /// each update's local object reaches and neither its remote object (when known here)
    /// nor the remote's tracking refs reach. `None` when nothing is sent.
    ///
    /// # Errors
    /// A revision that does not resolve, or git failing.
    pub fn pushed(&self, updates: &[Update], remote: Option<&str>) -> Result<Option<GitRange>> {
        let (mut sent, mut had, mut tags) = (Vec::new(), Vec::new(), Vec::new());
        for Update { local, remote } in updates {
            if is_zero(local) {
                continue; // a deletion sends nothing
            }
            sent.push(self.resolve(local)?);
            if local != remote {
                tags.extend(self.tags(local)?);
            }
            // The remote's old tip may be unknown here (someone else pushed): then only the
            // remote-tracking refs say what the remote has.
            if !is_zero(remote)
                && let Some(id) = rev_parse(self.git.command(), &format!("{remote}^{{commit}}"))?
            {
                had.push(id);
            }
        }
        let Some(tip) = sent.first().cloned() else { return Ok(None) };
        let mut args = sent;
        args.push("--not".to_string());
        args.extend(had);
        if let Some(remote) = remote {
            for dst in self.tracking_refs(remote)? {
                if dst.contains(['*', '?', '[']) {
                    args.push(format!("--glob={dst}"));
                } else if let Some(id) = rev_parse(self.git.command(), &format!("{dst}^{{commit}}"))? {
                    args.push(id);
                }
            }
        }
        Ok(Some(GitRange { commits: self.rev_list(&args)?, tip: Some(tip), tags }))
    }

    /// The annotated tags `id` names, outermost first (a tag of a tag too): none when `id`
    /// is no tag.
    fn tags(&self, id: &str) -> Result<Vec<String>> {
        let mut tags = Vec::new();
        let mut next = id.to_string();
        while run(self.git.command().args(["cat-file", "-t", &next]))?.stdout.trim_ascii() == b"tag" {
            let raw = self.git.output(&["cat-file", "tag", &next])?;
            let target = raw
                .strip_prefix(b"object ")
                .and_then(|rest| rest.split(|&b| b == b'\n').next())
                .with_context(|| format!("reading tag {next}: it names no object"))?;
            tags.push(std::mem::replace(&mut next, String::from_utf8_lossy(target).into_owned()));
        }
        Ok(tags)
    }

    /// Where `remote`'s fetch refspecs put its refs here: `remote` is a configured remote's
    /// name, or a URL (then the remotes with that URL or push URL count).
    fn tracking_refs(&self, remote: &str) -> Result<Vec<String>> {
        let output = run(self.git.command().args(["config", "-z", "--get-regexp", r"^remote\."]))?;
        if !matches!(output.status.code(), Some(0 | 1)) {
            return Err(failure("config --get-regexp remote", &output));
        }
        // "remote.<name>.<key>\n<value>\0": names may hold dots, keys do not.
        let mut entries = Vec::new();
        for entry in output.stdout.split(|&b| b == 0).filter(|e| !e.is_empty()) {
            let entry = String::from_utf8_lossy(entry);
            let (key, value) = entry.split_once('\n').unwrap_or((&entry, ""));
            let Some((name, key)) = key.strip_prefix("remote.").and_then(|k| k.rsplit_once('.')) else { continue };
            entries.push((name.to_string(), key.to_string(), value.to_string()));
        }
        let names: HashSet<&str> = if entries.iter().any(|(name, _, _)| name == remote) {
            HashSet::from([remote])
        } else {
            entries
                .iter()
                .filter(|(_, key, value)| matches!(key.as_str(), "url" | "pushurl") && value == remote)
                .map(|(name, _, _)| name.as_str())
                .collect()
        };
        let fetch = entries.iter().filter(|(name, key, _)| key == "fetch" && names.contains(name.as_str()));
        Ok(fetch
            .filter(|(_, _, spec)| !spec.starts_with('^'))
            .filter_map(|(_, _, spec)| spec.split_once(':').map(|(_, dst)| dst.to_string()))
            .filter(|dst| !dst.is_empty())
            .collect())
    }

    /// What a push to this repository adds, ref by ref, as [`crate::commits::received`]
    /// has it: the commits each new object reaches that no existing ref (nor a ref before it
    /// in `updates`) reaches, each range with its ref's commit as the tip.
    ///
    /// # Errors
    /// A new object that is missing or is not a commit or a tag of one.
    pub fn received(&self, updates: &[Received]) -> Result<Vec<GitRange>> {
        let mut ranges = Vec::new();
        let mut before: Vec<String> = Vec::new();
        for update in updates.iter().filter(|u| !is_zero(&u.new)) {
            let Some(commit) = rev_parse(self.git.command(), &format!("{}^{{commit}}", update.new))? else {
                let kind = run(self.git.command().args(["cat-file", "-t", &update.new]))?;
                if !kind.status.success() {
                    bail!("reading {} pushed to {}: git cannot find it", update.new, update.name);
                }
                bail!(
                    "{} points {} at a {}, not a commit: awsguard checks commits only, so it does not let this \
                     through; push the content as a commit",
                    update.name,
                    update.new,
                    String::from_utf8_lossy(&kind.stdout).trim()
                );
            };
            let mut args = vec![commit.clone()];
            args.extend(before.iter().map(|id| format!("^{id}")));
            args.extend(["--not".to_string(), "--all".to_string()]);
            ranges.push(GitRange {
                commits: self.rev_list(&args)?,
                tip: Some(commit.clone()),
                tags: self.tags(&update.new)?,
            });
            before.push(commit);
        }
        Ok(ranges)
    }

    /// Scans every commit of `range`, oldest first, each against its first parent, with
    /// the allowlist committed at its tip; returns that configuration too.
    ///
    /// # Errors
    /// A malformed allowlist, or an unreadable commit, tree or blob.
    pub fn scan(&self, range: &GitRange, args: &Args) -> Result<(Config, Checked)> {
        let scanner = Scanner::new(&RULES);
        let mut copier = Copier { batch: Batch::start(&self.git)?, repo: &self.repo, copied: HashMap::new() };
        let mut tip = None;
        if let Some(at) = &range.tip
            && let Some(id) = copier.copy(&format!("{at}:{REPO_FILE}"))?
        {
            tip = Some(copier.commit(&[(REPO_FILE.as_bytes().to_vec(), id, 0o100644)], at)?);
        }
        let config = Config::load(RepoFile::Committed(&self.repo, tip), args)?;
        let empty_tree =
            String::from_utf8_lossy(&self.git.output(&["hash-object", "-t", "tree", "--stdin"])?).trim().to_string();
        let mut checked = Checked::default();
        for (id, parents) in &range.commits {
            let commit = Commit { id, parents, empty_tree: &empty_tree };
            checked.absorb(self.scan_commit(&mut copier, &scanner, &config, &commit)?);
        }
        for id in &range.tags {
            let raw =
                copier.batch.object(id, "tag")?.with_context(|| format!("reading tag {id}: git cannot find it"))?;
            // The message follows the headers and the blank line after them.
            let message = memchr::memmem::find(&raw, b"\n\n").map_or(&raw[..0], |at| &raw[at + 2..]);
            check_message(&scanner, &config, (TAG_MESSAGE_PATH, id), message, &mut checked)?;
        }
        Ok((config, checked))
    }

    /// What one commit adds against its first parent; for a merge, lines its other parents
    /// already had are not new.
    fn scan_commit(
        &self,
        copier: &mut Copier<'_>,
        scanner: &Scanner,
        config: &Config,
        commit: &Commit<'_>,
    ) -> Result<Checked> {
        let Commit { id, parents, empty_tree } = *commit;
        let base = parents.first().map_or(empty_tree, String::as_str);
        let raw = parse_raw(&self.git.output(&["diff-tree", "-r", "-z", "--raw", "--no-abbrev", "-M", base, id])?)?;
        let missing = |r: &Raw| {
            format!(
                "reading {} (blob {}) of commit {id}: git cannot find it; `git fsck` tells more",
                escape(&r.path),
                r.new
            )
        };
        let others = parents.get(1..).unwrap_or_default();
        let Copied { changes, deleted, merge_commits } =
            copy_changes(&self.git, copier, scanner, &raw, parents.first().map(String::as_str), others, &missing)?;

        // A reader of its own: the copier has just written this commit's blobs.
        let objects = Objects::new(&self.repo);
        let mut checker = Checker::new(&self.repo, scanner, config, &objects);
        checker.commit = Some(id.to_string());
        for merged in merge_commits {
            checker.merge_trees.push(self.repo.find_commit(merged)?.tree_id());
        }
        let mut checked = Checked::default();
        checker.check(&mut Changes::listed(changes, deleted), &mut checked)?;
        let raw =
            copier.batch.object(id, "commit")?.with_context(|| format!("reading commit {id}: git cannot find it"))?;
        // The message follows the headers and the blank line after them.
        let message = memchr::memmem::find(&raw, b"\n\n").map_or(&raw[..0], |at| &raw[at + 2..]);
        check_message(scanner, config, (MESSAGE_PATH, id), message, &mut checked)?;
        Ok(checked)
    }
}

/// A commit of a range, with what it is compared against.
#[derive(Clone, Copy)]
struct Commit<'a> {
    id: &'a str,
    parents: &'a [String],
    /// The empty tree's ID in this repository's format: a root commit's parent.
    empty_tree: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_takes_both_formats() {
        let (zeros, a) = ("0".repeat(64), "a".repeat(64));
        let updates = read_received(format!("{zeros} {a} refs/heads/main\n\n").as_bytes()).unwrap();
        assert_eq!(updates, [Received { name: "refs/heads/main".into(), old: zeros.clone(), new: a.clone() }]);
        assert!(Received::new("refs/heads/x", &"b".repeat(40), &a).is_ok());
        assert!(read_received(format!("{a} {a}\n").as_bytes()).is_err());
        assert!(Received::new("refs/heads/x", "HEAD", &a).is_err());
        assert!(is_zero(&zeros) && !is_zero(&a));
    }
}
