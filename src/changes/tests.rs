//! Tests of [`crate::changes`].

use super::*;

fn repo_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Repository, Oid) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let tree = build_tree(&repo, files);
    (dir, repo, tree)
}

fn build_tree(repo: &Repository, files: &[(&str, &str)]) -> Oid {
    let mut index = git2::Index::new().unwrap();
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
    let objects = Objects::new(&repo);
    let changes = Changes::between(Trees { repo: &repo, objects: &objects }, old, new).unwrap();
    assert_eq!(paths(&changes), vec![("a/y".into(), true), ("d/e/f".into(), false)]);
}

#[test]
fn a_moved_directory_adds_nothing_and_deletions_are_rename_sources() {
    let (_d, repo, old) = repo_with(&[("src/a", "1"), ("src/b", "2"), ("gone", "3")]);
    let new = build_tree(&repo, &[("lib/a", "1"), ("lib/b", "2")]);
    let objects = Objects::new(&repo);
    let trees = Trees { repo: &repo, objects: &objects };
    let mut changes = Changes::between(trees, old, new).unwrap();
    assert!(changes.files.is_empty(), "{:?}", changes.files);
    assert_eq!(changes.deleted(trees).unwrap().len(), 1);
}

#[test]
fn file_replaced_by_directory_is_an_addition() {
    let (_d, repo, old) = repo_with(&[("a", "1"), ("a.txt", "2")]);
    let new = build_tree(&repo, &[("a/b", "1"), ("a.txt", "2")]);
    let objects = Objects::new(&repo);
    let changes = Changes::between(Trees { repo: &repo, objects: &objects }, old, new).unwrap();
    assert_eq!(paths(&changes), vec![("a/b".into(), false)]);
}

/// The tree walk must find what libgit2's diff finds, and the index walk exactly what a
/// walk of the tree the index would write finds.
#[test]
fn the_index_walk_agrees_with_the_tree_walk() {
    let names = ["a", "a.txt", "a-b", "b", "lib", "src", "z"];
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..200 {
        let mut pick = || {
            let mut files = std::collections::BTreeMap::new();
            for _ in 0..rng.usize(0..12) {
                let depth = rng.usize(1..4);
                let path: Vec<&str> = (0..depth).map(|_| names[rng.usize(..names.len())]).collect();
                files.insert(path.join("/"), rng.usize(0..3).to_string());
            }
            // A path cannot be both a file and a directory.
            let all: Vec<String> = files.keys().cloned().collect();
            files.retain(|p, _| !all.iter().any(|q| q.starts_with(&format!("{p}/"))));
            files
        };
        let (old_files, new_files) = (pick(), pick());
        let refs = |m: &std::collections::BTreeMap<String, String>| -> Vec<(String, String)> {
            m.iter().map(|(p, c)| (p.clone(), c.clone())).collect()
        };
        let (old_v, new_v) = (refs(&old_files), refs(&new_files));
        let (_d, repo, old) = repo_with(&strs(&old_v));
        let new = build_tree(&repo, &strs(&new_v));
        let objects = Objects::new(&repo);
        let trees = Trees { repo: &repo, objects: &objects };
        let mut by_tree = Changes::between(trees, old, new).unwrap();
        let old_id = old;
        let old = repo.find_tree(old).unwrap();
        let mut index = IndexFile::from_entries(
            new_v.iter().map(|(p, c)| (p.clone().into_bytes(), 0o100644, repo.blob(c.as_bytes()).unwrap(), 0)),
        );
        let deleted = |c: &mut Changes| {
            let mut d = c.deleted(trees).unwrap().to_vec();
            d.sort();
            d
        };
        let context = format!("{old_files:?} -> {new_files:?}");
        // libgit2's own diff is the reference for the tree walk, modulo files whose
        // content the old tree already had (moved directories, copies: nothing added).
        let old_blobs: Vec<Oid> = old_v.iter().map(|(_, c)| repo.blob(c.as_bytes()).unwrap()).collect();
        let new_tree = repo.find_tree(new).unwrap();
        let diff = repo.diff_tree_to_tree(Some(&old), Some(&new_tree), None).unwrap();
        let mut by_libgit2: Vec<(String, bool)> = diff
            .deltas()
            .filter(|d| match d.status() {
                git2::Delta::Modified => true,
                git2::Delta::Added => !old_blobs.contains(&d.new_file().id()),
                _ => false,
            })
            .map(|d| {
                let path = d.new_file().path().unwrap().to_string_lossy().into_owned();
                (path, d.status() == git2::Delta::Modified)
            })
            .collect();
        by_libgit2.sort();
        let mut ours = paths(&by_tree);
        ours.retain(|(path, modified)| {
            *modified || {
                let id = by_tree.files.iter().find(|f| String::from_utf8_lossy(&f.path) == *path).unwrap().new;
                !old_blobs.contains(&id)
            }
        });
        assert_eq!(ours, by_libgit2, "libgit2's diff: {context}");
        // With a valid cache-tree: exactly the same changes.
        index.cache_tree = Some(cache_tree_of(&repo, new, b"", &mut || true));
        let mut by_index = Changes::staged(trees, old_id, &index).unwrap();
        assert_eq!(paths(&by_index), paths(&by_tree), "{context}");
        assert_eq!(deleted(&mut by_index), deleted(&mut by_tree), "{context}");
        // With directories invalidated, or no cache-tree at all, a moved directory is
        // only known file by file, as exact renames.
        for cache_tree in [Some(cache_tree_of(&repo, new, b"", &mut || rng.bool())), None] {
            index.cache_tree = cache_tree;
            let mut by_index = Changes::staged(trees, old_id, &index).unwrap();
            let sources: Vec<Oid> = deleted(&mut by_index).into_iter().map(|(_, id)| id).collect();
            let not_renamed = |c: &Changes| {
                let mut v: Vec<_> =
                    c.files.iter().filter(|f| !sources.contains(&f.new)).map(|f| f.path.clone()).collect();
                v.sort();
                v
            };
            assert_eq!(not_renamed(&by_index), not_renamed(&by_tree), "{context}");
        }
    }
}

/// The cache-tree git would keep for `tree`, with some directories invalidated.
fn cache_tree_of(repo: &Repository, tree: Oid, name: &[u8], valid: &mut dyn FnMut() -> bool) -> CacheTree {
    let children = repo
        .find_tree(tree)
        .unwrap()
        .iter()
        .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
        .map(|e| cache_tree_of(repo, e.id(), e.name_bytes(), valid))
        .collect();
    CacheTree::new(name.to_vec(), Some(tree).filter(|_| valid()), children)
}

fn strs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect()
}

#[test]
fn exact_copies_are_found_in_the_old_tree() {
    let (_d, repo, old) = repo_with(&[("deep/dir/a", "content")]);
    let blob = repo.blob(b"content").unwrap();
    let objects = Objects::new(&repo);
    let trees = Trees { repo: &repo, objects: &objects };
    assert!(trees.contain_blob(old, blob).unwrap());
    let other = repo.blob(b"other").unwrap();
    assert!(!trees.contain_blob(old, other).unwrap());
}
