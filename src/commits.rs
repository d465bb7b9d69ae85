//! Commit ranges: which commits a push sends or receives, or a history scan covers, and the
//! pass over each of them. Shared by `pre-push`, `pre-receive`, `history` and the pre-commit
//! framework's ranges, so commands never call each other.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use git2::{Oid, Repository, Revwalk, Sort};

use crate::changes::{Changes, Trees};
use crate::config::Config;
use crate::findings::Checked;
use crate::objects::Objects;
use crate::pass::{Checker, CleanBlobs, MESSAGE_PATH, TAG_MESSAGE_PATH, check_message};
use crate::rules::RULES;
use crate::scan::Scanner;

/// One ref a push updates: the object sent, and what the remote had (all zeros for a new
/// ref). Either may be a revision name when given by the pre-commit framework.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    pub local: String,
    pub remote: String,
}

/// The commits of a scan and the commit whose `.awsguard.toml` applies to them all.
pub struct Range<'r> {
    pub walk: Revwalk<'r>,
    pub tip: Option<Oid>,
    /// The annotated tags pushed (a tag of a tag too) and their messages.
    pub tags: Vec<(Oid, Vec<u8>)>,
}

/// The annotated tags `id` names, outermost first, with their messages: empty when `id` is
/// no tag. A tag is pushed with its message, and no other hook reads it.
fn tag_messages(repo: &Repository, mut id: Oid) -> Vec<(Oid, Vec<u8>)> {
    let mut tags = Vec::new();
    while let Ok(tag) = repo.find_tag(id) {
        tags.push((id, tag.message_bytes().unwrap_or_default().to_vec()));
        id = tag.target_id();
    }
    tags
}

/// The range the pre-commit framework gives a pre-push (or `--from-ref/--to-ref`) run:
/// `PRE_COMMIT_TO_REF` is being pushed over `PRE_COMMIT_FROM_REF`.
///
/// Honoured only when the framework is really running the hook (it sets `PRE_COMMIT=1` for
/// every hook it runs) and git is not making a commit (git names the index in
/// `GIT_INDEX_FILE` for its commit hooks): variables left over in a shell would otherwise
/// make a commit skip the index it is made from.
pub fn framework_update() -> Option<Update> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    if var("PRE_COMMIT").as_deref() != Some("1") || var("GIT_INDEX_FILE").is_some() {
        return None;
    }
    Some(Update { local: var("PRE_COMMIT_TO_REF")?, remote: var("PRE_COMMIT_FROM_REF")? })
}

/// The remote the pre-commit framework says is pushed to (`PRE_COMMIT_REMOTE_NAME`).
pub fn framework_remote() -> Option<String> {
    std::env::var("PRE_COMMIT_REMOTE_NAME").ok().filter(|v| !v.is_empty())
}

/// Reads git's pre-push protocol: `<local ref> <local oid> <remote ref> <remote oid>` per
/// line.
///
/// # Errors
/// A line of another shape, or unreadable input.
pub fn read_push_updates(input: impl BufRead) -> Result<Vec<Update>> {
    let mut updates = Vec::new();
    for line in input.lines() {
        let line = line.context("reading the refs being pushed from stdin")?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [] => continue,
            [_, local, _, remote] => updates.push(Update { local: local.to_string(), remote: remote.to_string() }),
            _ => bail!("unexpected pre-push input {line:?}: expected `<local ref> <oid> <remote ref> <oid>`"),
        }
    }
    Ok(updates)
}

/// The commits a push to `remote` sends: reachable from each update's local object but not
/// from its remote object or from that remote's tracking refs (its fetch refspecs'
/// destinations; `remote` may be a URL, as git passes when pushing to one). Other remotes'
/// refs say nothing about what this one has. A deletion (local all zeros) sends nothing;
/// `None` when nothing is sent at all.
///
/// # Errors
/// A revision that does not resolve, or a commit that cannot be read.
pub fn pushed<'r>(repo: &'r Repository, updates: &[Update], remote: Option<&str>) -> Result<Option<Range<'r>>> {
    let mut walk = repo.revwalk().context("walking history")?;
    let mut tip = None;
    let mut tags = Vec::new();
    for Update { local, remote } in updates {
        let local_id = match parse_oid(local) {
            Ok(id) => id,
            Err(_) => crate::repo::resolve_commit(repo, local)?,
        };
        if local_id.is_zero() {
            continue;
        }
        walk.push(local_id).with_context(|| format!("finding commit {local_id}"))?;
        // An annotated tag's commit is the tip whose allowlist applies.
        let commit = crate::repo::peel_to_commit(repo, local_id);
        tip.get_or_insert(commit.with_context(|| format!("finding commit {local_id}"))?);
        if parse_oid(remote).ok() != Some(local_id) {
            tags.extend(tag_messages(repo, local_id));
        }
        let remote_id = parse_oid(remote).ok().or_else(|| crate::repo::resolve_commit(repo, remote).ok());
        if let Some(remote_id) = remote_id.filter(|id| !id.is_zero()) {
            // The remote's old tip may be unknown here (someone else pushed): then only the
            // remote-tracking branches say what the remote has.
            if repo.find_commit(remote_id).is_ok() {
                walk.hide(remote_id)?;
            }
        }
    }
    if tip.is_none() {
        return Ok(None);
    }
    if let Some(remote) = remote {
        hide_tracking_refs(repo, &mut walk, remote)?;
    }
    Ok(Some(Range { walk, tip, tags }))
}

/// One ref a push to this repository updates, as git tells the pre-receive and update
/// hooks: the old and new objects (all zeros for a creation or a deletion) and the ref.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub old: Oid,
    pub new: Oid,
    pub name: String,
}

/// Reads git's pre-receive protocol: `<old oid> <new oid> <ref>` per line.
///
/// # Errors
/// A line of another shape, or unreadable input.
pub fn read_received(input: impl BufRead) -> Result<Vec<Received>> {
    let mut updates = Vec::new();
    for line in input.lines() {
        let line = line.context("reading the refs being received from stdin")?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [] => continue,
            [old, new, name] => updates.push(Received::new(name, old, new)?),
            _ => bail!("unexpected pre-receive input {line:?}: expected `<old oid> <new oid> <ref>`"),
        }
    }
    Ok(updates)
}

impl Received {
    /// An update from the update hook's arguments `<ref> <old> <new>`.
    ///
    /// # Errors
    /// When an object ID is not a full hexadecimal ID.
    pub fn new(name: &str, old: &str, new: &str) -> Result<Received> {
        Ok(Received { old: parse_oid(old)?, new: parse_oid(new)?, name: name.to_string() })
    }
}

/// What a push to this repository adds, ref by ref: the commits reachable from each new
/// object that no existing ref of this repository reaches (nor a ref before it in
/// `updates`), each range with its ref's commit as the tip whose allowlist applies. A
/// deletion, or a ref moved to commits the repository already has, adds nothing.
///
/// # Errors
/// A new object that is missing or is not a commit or a tag of one.
pub fn received<'r>(repo: &'r Repository, updates: &[Received]) -> Result<Vec<Range<'r>>> {
    // A ref to a tree or a blob has no history to hide.
    let existing = crate::repo::ref_commits(repo, None)?;
    let mut ranges: Vec<Range<'r>> = Vec::new();
    let mut before = Vec::new();
    for update in updates.iter().filter(|u| !u.new.is_zero()) {
        let object = repo
            .find_object(update.new, None)
            .with_context(|| format!("reading {} pushed to {}", update.new, update.name))?;
        let Ok(commit) = object.peel_to_commit() else {
            bail!(
                "{} points {} at a {}, not a commit: awsguard checks commits only, so it does not let this \
                 through; push the content as a commit",
                update.name,
                update.new,
                object.peel(git2::ObjectType::Any).ok().and_then(|o| o.kind()).map_or("object", |kind| kind.str())
            );
        };
        let mut walk = repo.revwalk().context("walking history")?;
        walk.push(commit.id())?;
        for id in existing.iter().chain(&before) {
            walk.hide(*id)?;
        }
        before.push(commit.id());
        ranges.push(Range { walk, tip: Some(commit.id()), tags: tag_messages(repo, update.new) });
    }
    Ok(ranges)
}

/// The commits of `spec` (`A..B`, or a revision and its ancestors).
///
/// # Errors
/// A range or revision that does not resolve.
pub fn history<'r>(repo: &'r Repository, spec: &str) -> Result<Range<'r>> {
    let mut walk = repo.revwalk().context("walking history")?;
    let end = spec.rsplit("..").next().filter(|s| !s.is_empty()).unwrap_or("HEAD");
    match spec.split_once("..") {
        // libgit2 cannot resolve names in reftable: both ends are resolved as revisions.
        Some((_, rest)) if rest.starts_with('.') => bail!("{spec:?}: symmetric differences (A...B) are not supported"),
        Some((start, _)) if crate::repo::refs_by_git(repo) => {
            walk.push(crate::repo::resolve_commit(repo, end)?)?;
            walk.hide(crate::repo::resolve_commit(repo, if start.is_empty() { "HEAD" } else { start })?)?;
        }
        Some(_) => walk.push_range(spec).with_context(|| format!("resolving the range {spec:?}"))?,
        None => walk.push(crate::repo::resolve_commit(repo, spec)?)?,
    }
    let tip = crate::repo::resolve_commit(repo, end).ok();
    Ok(Range { walk, tip, tags: Vec::new() })
}

/// Every commit any ref reaches (`history --all`), and every annotated tag a ref names,
/// with HEAD's allowlist (none when HEAD is unborn).
///
/// # Errors
/// When the refs cannot be listed.
pub fn all_refs(repo: &Repository) -> Result<Range<'_>> {
    let mut walk = repo.revwalk().context("walking history")?;
    let mut tags: Vec<(Oid, Vec<u8>)> = Vec::new();
    // Several refs may name one tag; a repository may hold tens of thousands.
    let mut seen = std::collections::HashSet::new();
    for id in crate::repo::ref_targets(repo, None)? {
        // Refs to trees or blobs are skipped: they have no history.
        if let Some(commit) = crate::repo::peel_to_commit(repo, id) {
            walk.push(commit)?;
        }
        tags.extend(tag_messages(repo, id).into_iter().filter(|(tag, _)| seen.insert(*tag)));
    }
    let tip = crate::repo::head_commit(repo).ok().flatten();
    Ok(Range { walk, tip, tags })
}

/// Scans every commit of the range, oldest first, each against its first parent, on all
/// cores when there are many; then the messages of the tags it pushes.
///
/// # Errors
/// An unreadable commit, tree or blob.
pub fn scan(repo: &Repository, range: Range<'_>, config: &Config) -> Result<Checked> {
    let Range { mut walk, tags, .. } = range;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    let ids: Vec<Oid> = walk.collect::<Result<_, _>>().context("walking history")?;
    let scanner = Scanner::new(&RULES);
    let progress = Progress::new(ids.len());
    let clean = CleanBlobs::default();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(ids.len() / 32).min(8);
    let mut checked = Checked::default();
    if threads < 2 {
        let objects = Objects::new(repo);
        for id in &ids {
            checked.absorb(scan_commit(repo, &objects, &scanner, config, &clean, *id)?);
            progress.step();
        }
    } else {
        // Commits are independent: each thread takes the next few, and the results are put
        // back in history order, so the report and the first error are the same as one
        // thread's. A few in a row, because a commit's old trees are most often the new
        // trees of the one before it, which the thread's reader then still holds.
        let git_dir = repo.path();
        // The packs are mapped once for all threads; each thread reads them on its own.
        let packs = Objects::new(repo).packs();
        let next = AtomicUsize::new(0);
        let results: Vec<Mutex<Option<Result<Checked>>>> = ids.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    let handle = match crate::repo::reopen(git_dir) {
                        Ok(handle) => handle,
                        Err(e) => {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if let Some(slot) = results.get(i) {
                                *slot.lock().expect("no thread panics holding it") = Some(Err(e));
                            }
                            return;
                        }
                    };
                    // Each thread its own reader: nothing written is shared, nothing locked.
                    let objects = Objects::sharing(&handle, &packs);
                    loop {
                        let first = next.fetch_add(RUN, Ordering::Relaxed);
                        if first >= ids.len() {
                            return;
                        }
                        // A run is scanned to its end: every commit before a failed one is.
                        for i in first..ids.len().min(first + RUN) {
                            let result = scan_commit(&handle, &objects, &scanner, config, &clean, ids[i]);
                            let failed = result.is_err();
                            *results[i].lock().expect("no thread panics holding it") = Some(result);
                            progress.step();
                            if failed {
                                // Stop every thread: the first error in history order is reported.
                                next.store(ids.len(), Ordering::Relaxed);
                                return;
                            }
                        }
                    }
                });
            }
        });
        for result in results.into_iter().map(|r| r.into_inner().expect("no thread panics holding it")) {
            match result {
                Some(result) => checked.absorb(result?),
                // A thread stopped early because a commit failed: that error comes first.
                None => bail!("the history scan stopped before every commit was scanned"),
            }
        }
    }
    progress.finish();
    for (id, message) in &tags {
        check_message(&scanner, config, (TAG_MESSAGE_PATH, &id.to_string()), message, &mut checked)?;
    }
    Ok(checked)
}

/// How many commits in a row a thread of [`scan`] takes.
const RUN: usize = 8;

/// What one commit adds against its first parent; for a merge, lines its other parents
/// already had are not new.
fn scan_commit(
    repo: &Repository,
    objects: &Objects,
    scanner: &Scanner,
    config: &Config,
    clean: &CleanBlobs,
    id: Oid,
) -> Result<Checked> {
    let commit = repo.find_commit(id).with_context(|| format!("reading commit {id}"))?;
    let trees = Trees { repo, objects };
    let mut changes = match commit.parent_count() {
        0 => Changes::all_of(trees, commit.tree_id())?,
        _ => Changes::between(trees, commit.parent(0)?.tree_id(), commit.tree_id())?,
    };
    let mut checker = Checker::new(repo, scanner, config, objects);
    checker.commit = Some(id.to_string());
    checker.clean = Some(clean);
    for parent in commit.parents().skip(1) {
        checker.merge_trees.push(parent.tree_id());
    }
    let mut checked = Checked::default();
    checker.check(&mut changes, &mut checked)?;
    check_message(scanner, config, (MESSAGE_PATH, &id.to_string()), commit.message_raw_bytes(), &mut checked)?;
    Ok(checked)
}

/// "scanned N/M commits" on a terminal, for long scans.
struct Progress {
    total: usize,
    done: AtomicUsize,
    shown: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress { total, done: AtomicUsize::new(0), shown: std::io::stderr().is_terminal() && total > 50 }
    }

    fn step(&self) {
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if self.shown && n % 25 == 0 {
            let _ = write!(std::io::stderr(), "\rawsguard: scanned {n}/{} commits", self.total);
        }
    }

    fn finish(&self) {
        if self.shown {
            let _ = writeln!(std::io::stderr(), "\rawsguard: scanned {} commits        ", self.total);
        }
    }
}

/// Hides every commit `remote`'s tracking refs reach: the remote has them. `remote` is a
/// configured remote's name, or a URL (then the remotes with that URL count).
fn hide_tracking_refs(repo: &Repository, walk: &mut Revwalk<'_>, remote: &str) -> Result<()> {
    let mut names = Vec::new();
    if repo.find_remote(remote).is_ok() {
        names.push(remote.to_string());
    } else {
        for name in repo.remotes().context("listing remotes")?.iter().flatten().flatten() {
            let url_is = |r: &git2::Remote<'_>| r.url_bytes() == remote.as_bytes();
            let push_url_is = |r: &git2::Remote<'_>| r.pushurl_bytes() == Some(remote.as_bytes());
            if repo.find_remote(name).is_ok_and(|r| url_is(&r) || push_url_is(&r)) {
                names.push(name.to_string());
            }
        }
    }
    for name in names {
        let found = repo.find_remote(&name)?;
        for spec in found.refspecs().filter(|s| s.direction() == git2::Direction::Fetch) {
            let Ok(dst) = spec.dst() else { continue };
            for id in crate::repo::ref_commits(repo, Some(dst)).with_context(|| format!("listing {dst}"))? {
                walk.hide(id)?;
            }
        }
    }
    Ok(())
}

/// Parses a full hexadecimal object ID, as git's hook protocols give them.
fn parse_oid(text: &str) -> Result<Oid> {
    if text.len() != 40 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("{text:?} is not a full object ID");
    }
    Ok(Oid::from_str(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_updates_follow_git_protocol() {
        let zeros = "0".repeat(40);
        let a = "a".repeat(40);
        let input = format!("refs/heads/main {a} refs/heads/main {zeros}\n\nrefs/heads/x {zeros} refs/heads/x {a}\n");
        let updates = read_push_updates(input.as_bytes()).unwrap();
        assert_eq!(
            updates,
            [Update { local: a.clone(), remote: zeros.clone() }, Update { local: zeros.clone(), remote: a.clone() }]
        );
        assert!(read_push_updates("one two\n".as_bytes()).is_err());
        let received = read_received(format!("{zeros} {a} refs/tags/v1\n").as_bytes()).unwrap();
        assert_eq!(
            received,
            [Received { old: Oid::ZERO_SHA1, new: parse_oid(&a).unwrap(), name: "refs/tags/v1".into() }]
        );
        assert!(read_received(format!("{a} {a}\n").as_bytes()).is_err());
        assert!(read_received("HEAD main refs/heads/main\n".as_bytes()).is_err());
        assert!(parse_oid(&a).is_ok());
        assert!(parse_oid("HEAD").is_err());
    }
}
