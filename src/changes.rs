//! Which files a change adds or modifies: a walk of two trees that skips every subtree
//! whose object ID is the same on both sides.
//!
//! Only the directories on the path to a change are ever read, so a three-file commit in a
//! 100k-file repository reads a handful of tree objects, as git's own cache-tree does.

use std::cmp::Ordering;

use anyhow::{Context, Result};
use git2::{Oid, Repository};

use crate::index_file::{CacheTree, IndexEntry, IndexFile, check_node, push_tree_entry, tree_id};
use crate::objects::Objects;
use crate::tree::{Entry, Tree};

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
    /// Every file of the tree `new` as an addition (a first commit).
    ///
    /// # Errors
    /// When a tree object cannot be read from the object database.
    pub fn all_of(trees: Trees<'_>, new: Oid) -> Result<Changes> {
        let mut changes = Changes::default();
        trees.walk_added(&trees.read(new)?, &[], &mut changes.files)?;
        Ok(changes)
    }

    /// Every file of `index` as an addition: a first commit on an unborn branch, without
    /// building any tree.
    pub fn all_of_index(index: &IndexFile) -> Changes {
        Changes { files: additions(index, index.entries()).collect(), ..Changes::default() }
    }

    /// [`Changes::all_of_index`] for a first commit, after checking every valid cache-tree
    /// node against the entries: git commits those trees as they stand.
    ///
    /// # Errors
    /// [`crate::index_file::CacheTreeMismatch`] when a node does not match its entries.
    pub fn first_commit(index: &IndexFile) -> Result<Changes> {
        if index.cache_tree.is_some() {
            index.verify_tree(index.entries(), &[], index.cache_tree.as_ref())?;
        }
        Ok(Changes::all_of_index(index))
    }

    /// The difference from the tree `old` to what `index` will commit.
    ///
    /// A directory whose cache-tree ID equals its tree in `old` is skipped without reading
    /// it; only directories on the way to a change are read, as git's own diff does.
    ///
    /// # Errors
    /// When a tree object cannot be read from the object database.
    pub fn staged(trees: Trees<'_>, old: Oid, index: &IndexFile) -> Result<Changes> {
        let mut changes = Changes { old_tree: Some(old), ..Changes::default() };
        let mut added_dirs = Vec::new();
        let walk = IndexWalk { trees, index };
        let old = trees.read(old)?;
        walk.diff(Some(&old), index.entries(), &[], index.cache_tree.as_ref(), &mut changes, &mut added_dirs)?;
        for (id, entries) in added_dirs {
            // A directory moved as a whole (its cache-tree ID is a deleted tree's) adds nothing:
            // git commits that tree, which HEAD already has.
            if let Some(i) = id.and_then(|id| changes.deleted_trees.iter().position(|(_, d)| *d == id)) {
                changes.deleted_trees.swap_remove(i);
                continue;
            }
            changes.files.extend(additions(index, entries));
        }
        Ok(changes)
    }

    /// Changes git itself listed, for a repository libgit2 cannot read
    /// ([`crate::plumbing::staged`]): the files, and the deleted blobs a renamed file may
    /// come from. There is no old tree: the caller leaves out exact copies of its files.
    pub fn listed(files: Vec<Change>, deleted: Vec<(Vec<u8>, Oid)>) -> Changes {
        Changes { files, deleted_blobs: deleted, ..Changes::default() }
    }

    /// The difference from the tree `old` to the tree `new`.
    ///
    /// # Errors
    /// When a tree object cannot be read from the object database.
    pub fn between(trees: Trees<'_>, old: Oid, new: Oid) -> Result<Changes> {
        let mut changes = Changes { old_tree: Some(old), ..Changes::default() };
        let mut added_trees = Vec::new();
        trees.diff(&trees.read(old)?, &trees.read(new)?, &[], &mut changes, &mut added_trees)?;
        // A directory moved as a whole (same tree ID) adds nothing.
        added_trees.retain(|(_, id)| match changes.deleted_trees.iter().position(|(_, d)| d == id) {
            Some(i) => {
                changes.deleted_trees.swap_remove(i);
                false
            }
            None => true,
        });
        for (path, id) in added_trees {
            trees.walk_added(&trees.read(id)?, &path, &mut changes.files)?;
        }
        Ok(changes)
    }

    /// The blobs this change deleted, as `(path, blob)`: the sources a renamed file may come
    /// from. Deleted directories are read here, on first need.
    ///
    /// # Errors
    /// When a deleted tree cannot be read from the object database.
    pub fn deleted(&mut self, trees: Trees<'_>) -> Result<&[(Vec<u8>, Oid)]> {
        for (path, id) in std::mem::take(&mut self.deleted_trees) {
            let mut files = Vec::new();
            trees.walk_added(&trees.read(id)?, &path, &mut files)?;
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

/// The scannable files among `entries` of `index`, each as an addition.
fn additions<'i>(index: &'i IndexFile, entries: &'i [IndexEntry]) -> impl Iterator<Item = Change> + 'i {
    entries.iter().filter(|e| is_scannable(e.mode)).map(|e| Change {
        path: index.path(e).to_vec(),
        old: None,
        new: e.id(),
    })
}

/// Git's tree order: names compare bytewise, a directory as if it ended in `/`.
fn tree_order(a: &Entry<'_>, b: &Entry<'_>) -> Ordering {
    name_order(a.name, a.is_tree(), b.name, b.is_tree())
}

fn name_order(a: &[u8], a_dir: bool, b: &[u8], b_dir: bool) -> Ordering {
    let common = a.len().min(b.len());
    match a[..common].cmp(&b[..common]) {
        Ordering::Equal => {
            let next = |name: &[u8], dir: bool| name.get(common).copied().unwrap_or(if dir { b'/' } else { 0 });
            next(a, a_dir).cmp(&next(b, b_dir))
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

/// Reads the trees of one repository: through [`Objects`], which reads packed trees
/// itself.
#[derive(Clone, Copy)]
pub struct Trees<'a> {
    pub repo: &'a Repository,
    pub objects: &'a Objects,
}

impl Trees<'_> {
    fn read(&self, id: Oid) -> Result<Tree> {
        self.objects.tree(self.repo, id).with_context(|| format!("reading tree {id} from the object database"))
    }

    fn diff(
        &self,
        old: &Tree,
        new: &Tree,
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
                Ordering::Less => deleted(&olds.next().expect("peeked"), prefix, out),
                Ordering::Greater => added(&news.next().expect("peeked"), prefix, out, added_trees),
                Ordering::Equal => {
                    let (o, n) = (olds.next().expect("peeked"), news.next().expect("peeked"));
                    if o.same_object(&n) {
                        continue; // unchanged content; a mode-only change adds nothing
                    }
                    let path = child_path(prefix, n.name);
                    match (o.is_tree(), n.is_tree()) {
                        (true, true) => self.diff(&self.read(o.id())?, &self.read(n.id())?, &path, out, added_trees)?,
                        _ if is_scannable(o.mode) && is_scannable(n.mode) => {
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

    /// Appends every file below `tree` as an addition.
    fn walk_added(&self, tree: &Tree, prefix: &[u8], out: &mut Vec<Change>) -> Result<()> {
        for entry in tree.iter() {
            let path = child_path(prefix, entry.name);
            if entry.is_tree() {
                self.walk_added(&self.read(entry.id())?, &path, out)?;
            } else if is_scannable(entry.mode) {
                out.push(Change { path, old: None, new: entry.id() });
            }
        }
        Ok(())
    }

    /// The object at `path` (`/`-separated) in the tree `tree`, if there is one.
    ///
    /// # Errors
    /// When a tree on the way cannot be read from the object database.
    pub fn at_path(&self, tree: Oid, path: &[u8]) -> Result<Option<Oid>> {
        let mut id = tree;
        let mut names = path.split(|&b| b == b'/').peekable();
        while let Some(name) = names.next() {
            let tree = self.read(id)?;
            match tree.get(name) {
                Some(entry) if entry.is_tree() || names.peek().is_none() => id = entry.id(),
                _ => return Ok(None),
            }
        }
        Ok(Some(id))
    }

    /// Whether `blob` is anywhere in `tree`: an added file that is an exact copy of a file
    /// the old tree already had adds nothing new. Reads the whole tree, so it is only asked
    /// when an added file holds a finding.
    ///
    /// # Errors
    /// When a tree cannot be read from the object database.
    pub fn contain_blob(&self, tree: Oid, blob: Oid) -> Result<bool> {
        for entry in self.read(tree)?.iter() {
            if (entry.names(blob) && !entry.is_gitlink()) || (entry.is_tree() && self.contain_blob(entry.id(), blob)?) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn deleted(entry: &Entry<'_>, prefix: &[u8], out: &mut Changes) {
    let path = child_path(prefix, entry.name);
    if entry.is_tree() {
        out.deleted_trees.push((path, entry.id()));
    } else if is_scannable(entry.mode) {
        out.deleted_blobs.push((path, entry.id()));
    }
}

fn added(entry: &Entry<'_>, prefix: &[u8], out: &mut Changes, added_trees: &mut Vec<(Vec<u8>, Oid)>) {
    let path = child_path(prefix, entry.name);
    if entry.is_tree() {
        added_trees.push((path, entry.id()));
    } else if is_scannable(entry.mode) {
        out.files.push(Change { path, old: None, new: entry.id() });
    }
}

/// A directory the index adds: its cache-tree ID if known, and its entries.
/// A directory the index adds: its cache-tree ID (when valid) and its entries.
type AddedDir<'i> = (Option<Oid>, &'i [IndexEntry]);

struct IndexWalk<'r, 'i> {
    trees: Trees<'r>,
    index: &'i IndexFile,
}

impl<'i> IndexWalk<'_, 'i> {
    /// Compares the directory `dir` of the old tree with `entries`, the index entries
    /// below it, and returns the tree git will write for it.
    ///
    /// git commits a valid cache-tree node's tree as it stands, so each node on the way is
    /// checked against the tree its entries make: one that names another tree would commit
    /// content no entry shows. A directory whose node names its tree in HEAD is skipped
    /// unread and trusted: git commits what HEAD already has there. So an ordinary commit
    /// hashes only the directories on the way to its changes, as git itself just did.
    fn diff(
        &self,
        old: Option<&Tree>,
        entries: &'i [IndexEntry],
        dir: &[u8],
        cache: Option<&'i CacheTree>,
        out: &mut Changes,
        added_dirs: &mut Vec<AddedDir<'i>>,
    ) -> Result<Oid> {
        let index = self.index;
        let prefix = if dir.is_empty() { 0 } else { dir.len() + 1 };
        let mut olds = old.into_iter().flat_map(Tree::iter).peekable();
        let mut rest = entries;
        let mut tree = Vec::new();
        loop {
            // The next name in the index: a file here, or a directory and its entries.
            let next = rest.first().map(|e| {
                let tail = &index.path(e)[prefix..];
                match memchr::memchr(b'/', tail) {
                    Some(n) => {
                        let dir = &tail[..=n];
                        let len = rest.partition_point(|e| index.path(e)[prefix..].starts_with(dir));
                        (&tail[..n], Some(len))
                    }
                    None => (tail, None),
                }
            });
            let order = match (olds.peek(), next) {
                (None, None) => {
                    let id = tree_id(&tree);
                    check_node(cache, id, &dir_path(dir))?;
                    return Ok(id);
                }
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(o), Some((name, group))) => name_order(o.name, o.is_tree(), name, group.is_some()),
            };
            match order {
                Ordering::Less => {
                    let o = olds.next().expect("peeked");
                    deleted(&o, dir, out);
                }
                Ordering::Greater | Ordering::Equal => {
                    let (name, group) = next.expect("an index entry is next");
                    let o = if order == Ordering::Equal { olds.next() } else { None };
                    match group {
                        Some(len) => {
                            let (below, after) = rest.split_at(len);
                            let child = cache.and_then(|c| c.child(name));
                            let cached = child.and_then(|c| c.id);
                            rest = after;
                            let sub = &index.path(&below[0])[..prefix + name.len()];
                            let id = match o {
                                Some(o) if cached.is_some_and(|c| o.names(c)) => o.id(), // unchanged directory
                                Some(o) => {
                                    let old_dir = self.trees.read(o.id())?;
                                    self.diff(Some(&old_dir), below, sub, child, out, added_dirs)?
                                }
                                None => {
                                    // New to HEAD: hashed whole, nested nodes checked on the way.
                                    let id = index.verify_tree(below, sub, child)?;
                                    added_dirs.push((cached, below));
                                    id
                                }
                            };
                            push_tree_entry(&mut tree, 0o40000, name, id);
                        }
                        None => {
                            let e = &rest[0];
                            rest = &rest[1..];
                            let path = index.path(e);
                            push_tree_entry(&mut tree, e.mode, name, e.id());
                            match o {
                                Some(o) if o.names(e.id()) => {} // unchanged; a mode-only change adds nothing
                                Some(o) if is_scannable(o.mode) && is_scannable(e.mode) => {
                                    out.files.push(Change { path: path.to_vec(), old: Some(o.id()), new: e.id() });
                                }
                                _ => {
                                    if let Some(o) = o {
                                        deleted(&o, dir, out);
                                    }
                                    if is_scannable(e.mode) {
                                        out.files.push(Change { path: path.to_vec(), old: None, new: e.id() });
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `dir` as the cache-tree messages name directories: `a/b/`, or empty for the root.
fn dir_path(dir: &[u8]) -> Vec<u8> {
    if dir.is_empty() { Vec::new() } else { [dir, b"/"].concat() }
}

/// A path from git (bytes) as a [`Path`](std::path::Path), for tree lookups.
#[cfg(unix)]
pub fn path_of(path: &[u8]) -> std::borrow::Cow<'_, std::path::Path> {
    use std::os::unix::ffi::OsStrExt;
    std::path::Path::new(std::ffi::OsStr::from_bytes(path)).into()
}

/// A path from git (bytes) as a [`Path`](std::path::Path), for tree lookups.
#[cfg(not(unix))]
pub fn path_of(path: &[u8]) -> std::borrow::Cow<'_, std::path::Path> {
    std::path::PathBuf::from(String::from_utf8_lossy(path).into_owned()).into()
}

#[cfg(test)]
mod tests;
