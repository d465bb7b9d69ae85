//! Which files a change adds or modifies: a walk of two trees that skips every subtree
//! whose object ID is the same on both sides.
//!
//! Only the directories on the path to a change are ever read, so a three-file commit in a
//! 100k-file repository reads a handful of tree objects, as git's own cache-tree does.

use std::cmp::Ordering;

use anyhow::{Context, Result};
use git2::{FileMode, Index, ObjectType, Oid, Repository, Tree, TreeEntry};

/// A file whose new content has to be scanned.
#[derive(Clone, Debug)]
pub struct Change {
    /// Path from the repository root, as bytes (git paths need not be UTF-8).
    pub path: Vec<u8>,
    /// The blob the path held before, if it existed (a modification).
    pub old: Option<Oid>,
    /// The blob being committed.
    pub new: Oid,
}

/// The files added or modified between two trees, plus what was deleted (rename sources).
#[derive(Debug, Default)]
pub struct Changes {
    pub files: Vec<Change>,
    /// Blobs that left the old tree, as `(path, blob)`; deleted trees are listed unexpanded
    /// in `deleted_trees` and read only when a rename source is needed.
    deleted_blobs: Vec<(Vec<u8>, Oid)>,
    deleted_trees: Vec<(Vec<u8>, Oid)>,
    /// The old tree, for the exact-copy check.
    pub old_tree: Option<Oid>,
}

impl Changes {
    /// Every file of `new` as an addition (a first commit).
    pub fn all_of(repo: &Repository, new: &Tree<'_>) -> Result<Changes> {
        let mut changes = Changes::default();
        walk_added(repo, new, &[], &mut changes.files)?;
        Ok(changes)
    }

    /// Every stage-0 file of `index` as an addition: a first commit on an unborn branch,
    /// without building any tree.
    pub fn all_of_index(index: &Index) -> Changes {
        let files = index
            .iter()
            .filter(|e| is_scannable(e.mode) && (e.flags >> 12) & 3 == 0)
            .map(|e| Change { path: e.path, old: None, new: e.id })
            .collect();
        Changes { files, ..Changes::default() }
    }

    /// The difference from `old` to `new`.
    ///
    /// # Errors
    /// When a tree object cannot be read from the object database.
    pub fn between(repo: &Repository, old: &Tree<'_>, new: &Tree<'_>) -> Result<Changes> {
        let mut changes = Changes { old_tree: Some(old.id()), ..Changes::default() };
        let mut added_trees = Vec::new();
        diff_trees(repo, old, new, &[], &mut changes, &mut added_trees)?;
        // A directory moved as a whole (same tree ID) adds nothing.
        added_trees.retain(|(_, id)| match changes.deleted_trees.iter().position(|(_, d)| d == id) {
            Some(i) => {
                changes.deleted_trees.swap_remove(i);
                false
            }
            None => true,
        });
        for (path, id) in added_trees {
            let tree = repo.find_tree(id).with_context(|| format!("reading tree {id}"))?;
            walk_added(repo, &tree, &path, &mut changes.files)?;
        }
        Ok(changes)
    }

    /// The blobs this change deleted, as `(path, blob)`: the sources a renamed file may come
    /// from. Deleted directories are read here, on first need.
    pub fn deleted(&mut self, repo: &Repository) -> Result<&[(Vec<u8>, Oid)]> {
        for (path, id) in std::mem::take(&mut self.deleted_trees) {
            let tree = repo.find_tree(id).with_context(|| format!("reading tree {id}"))?;
            let mut files = Vec::new();
            walk_added(repo, &tree, &path, &mut files)?;
            self.deleted_blobs.extend(files.into_iter().map(|c| (c.path, c.new)));
        }
        Ok(&self.deleted_blobs)
    }
}

/// Blobs and symlinks are scanned; submodule commits (gitlinks) and trees are not files.
fn is_scannable(mode: u32) -> bool {
    let kind = mode & 0o170000;
    kind == 0o100000 || kind == 0o120000
}

fn entry_mode(entry: &TreeEntry<'_>) -> u32 {
    entry.filemode() as u32
}

fn is_tree(entry: &TreeEntry<'_>) -> bool {
    entry.kind() == Some(ObjectType::Tree)
}

/// Git's tree order: names compare bytewise, a directory as if it ended in `/`.
fn tree_order(a: &TreeEntry<'_>, b: &TreeEntry<'_>) -> Ordering {
    let (an, bn) = (a.name_bytes(), b.name_bytes());
    let common = an.len().min(bn.len());
    match an[..common].cmp(&bn[..common]) {
        Ordering::Equal => {
            let next = |name: &[u8], tree: bool| name.get(common).copied().unwrap_or(if tree { b'/' } else { 0 });
            next(an, is_tree(a)).cmp(&next(bn, is_tree(b)))
        }
        other => other,
    }
}

fn child_path(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut path = Vec::with_capacity(prefix.len() + 1 + name.len());
    if !prefix.is_empty() {
        path.extend_from_slice(prefix);
        path.push(b'/');
    }
    path.extend_from_slice(name);
    path
}

fn diff_trees(
    repo: &Repository,
    old: &Tree<'_>,
    new: &Tree<'_>,
    prefix: &[u8],
    out: &mut Changes,
    added_trees: &mut Vec<(Vec<u8>, Oid)>,
) -> Result<()> {
    let mut olds = old.iter().peekable();
    let mut news = new.iter().peekable();
    loop {
        let order = match (olds.peek(), news.peek()) {
            (None, None) => return Ok(()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(o), Some(n)) => tree_order(o, n),
        };
        match order {
            Ordering::Less => {
                let o = olds.next().expect("peeked");
                deleted(&o, prefix, out);
            }
            Ordering::Greater => {
                let n = news.next().expect("peeked");
                added(&n, prefix, out, added_trees);
            }
            Ordering::Equal => {
                let (o, n) = (olds.next().expect("peeked"), news.next().expect("peeked"));
                if o.id() == n.id() {
                    continue; // unchanged content; a mode-only change adds nothing
                }
                let path = child_path(prefix, n.name_bytes());
                match (is_tree(&o), is_tree(&n)) {
                    (true, true) => {
                        let (ot, nt) = (find_tree(repo, o.id())?, find_tree(repo, n.id())?);
                        diff_trees(repo, &ot, &nt, &path, out, added_trees)?;
                    }
                    _ if is_scannable(entry_mode(&o)) && is_scannable(entry_mode(&n)) => {
                        out.files.push(Change { path, old: Some(o.id()), new: n.id() });
                    }
                    _ => {
                        deleted(&o, prefix, out);
                        added(&n, prefix, out, added_trees);
                    }
                }
            }
        }
    }
}

fn deleted(entry: &TreeEntry<'_>, prefix: &[u8], out: &mut Changes) {
    let path = child_path(prefix, entry.name_bytes());
    if is_tree(entry) {
        out.deleted_trees.push((path, entry.id()));
    } else if is_scannable(entry_mode(entry)) {
        out.deleted_blobs.push((path, entry.id()));
    }
}

fn added(entry: &TreeEntry<'_>, prefix: &[u8], out: &mut Changes, added_trees: &mut Vec<(Vec<u8>, Oid)>) {
    let path = child_path(prefix, entry.name_bytes());
    if is_tree(entry) {
        added_trees.push((path, entry.id()));
    } else if is_scannable(entry_mode(entry)) {
        out.files.push(Change { path, old: None, new: entry.id() });
    }
}

fn find_tree(repo: &Repository, id: Oid) -> Result<Tree<'_>> {
    repo.find_tree(id).with_context(|| format!("reading tree {id} from the object database"))
}

/// Appends every file below `tree` as an addition.
fn walk_added(repo: &Repository, tree: &Tree<'_>, prefix: &[u8], out: &mut Vec<Change>) -> Result<()> {
    for entry in tree.iter() {
        let path = child_path(prefix, entry.name_bytes());
        if is_tree(&entry) {
            let sub = find_tree(repo, entry.id())?;
            walk_added(repo, &sub, &path, out)?;
        } else if is_scannable(entry_mode(&entry)) {
            out.push(Change { path, old: None, new: entry.id() });
        }
    }
    Ok(())
}

/// Whether `blob` is anywhere in `tree`: an added file that is an exact copy of a file the
/// old tree already had adds nothing new. Reads the whole tree, so it is only asked when
/// an added file holds a finding.
pub fn tree_contains_blob(repo: &Repository, tree: Oid, blob: Oid) -> Result<bool> {
    let tree = find_tree(repo, tree)?;
    let mut found = false;
    tree.walk(git2::TreeWalkMode::PreOrder, |_, entry| {
        if entry.id() == blob && entry.filemode() != i32::from(FileMode::Commit) {
            found = true;
            git2::TreeWalkResult::Abort
        } else {
            git2::TreeWalkResult::Ok
        }
    })
    .or_else(|e| if found { Ok(()) } else { Err(e) })
    .context("walking the HEAD tree")?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Repository, Oid) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let tree = build_tree(&repo, files);
        (dir, repo, tree)
    }

    fn build_tree(repo: &Repository, files: &[(&str, &str)]) -> Oid {
        let mut index = Index::new().unwrap();
        for (path, content) in files {
            let id = repo.blob(content.as_bytes()).unwrap();
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: content.len() as u32,
                id,
                flags: path.len() as u16,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            index.add(&entry).unwrap();
        }
        index.write_tree_to(repo).unwrap()
    }

    fn paths(changes: &Changes) -> Vec<(String, bool)> {
        let mut v: Vec<_> =
            changes.files.iter().map(|c| (String::from_utf8_lossy(&c.path).into_owned(), c.old.is_some())).collect();
        v.sort();
        v
    }

    #[test]
    fn only_changed_files_are_listed() {
        let (_d, repo, old) = repo_with(&[("a/x", "1"), ("a/y", "2"), ("b/z", "3"), ("c", "4")]);
        let new = build_tree(&repo, &[("a/x", "1"), ("a/y", "22"), ("b/z", "3"), ("c", "4"), ("d/e/f", "5")]);
        let (old, new) = (repo.find_tree(old).unwrap(), repo.find_tree(new).unwrap());
        let changes = Changes::between(&repo, &old, &new).unwrap();
        assert_eq!(paths(&changes), vec![("a/y".into(), true), ("d/e/f".into(), false)]);
    }

    #[test]
    fn a_moved_directory_adds_nothing_and_deletions_are_rename_sources() {
        let (_d, repo, old) = repo_with(&[("src/a", "1"), ("src/b", "2"), ("gone", "3")]);
        let new = build_tree(&repo, &[("lib/a", "1"), ("lib/b", "2")]);
        let (old, new) = (repo.find_tree(old).unwrap(), repo.find_tree(new).unwrap());
        let mut changes = Changes::between(&repo, &old, &new).unwrap();
        assert!(changes.files.is_empty(), "{:?}", changes.files);
        assert_eq!(changes.deleted(&repo).unwrap().len(), 1);
    }

    #[test]
    fn file_replaced_by_directory_is_an_addition() {
        let (_d, repo, old) = repo_with(&[("a", "1"), ("a.txt", "2")]);
        let new = build_tree(&repo, &[("a/b", "1"), ("a.txt", "2")]);
        let (old, new) = (repo.find_tree(old).unwrap(), repo.find_tree(new).unwrap());
        let changes = Changes::between(&repo, &old, &new).unwrap();
        assert_eq!(paths(&changes), vec![("a/b".into(), false)]);
    }

    #[test]
    fn exact_copies_are_found_in_the_old_tree() {
        let (_d, repo, old) = repo_with(&[("deep/dir/a", "content")]);
        let blob = repo.blob(b"content").unwrap();
        assert!(tree_contains_blob(&repo, old, blob).unwrap());
        let other = repo.blob(b"other").unwrap();
        assert!(!tree_contains_blob(&repo, old, other).unwrap());
    }
}
