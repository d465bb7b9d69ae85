//! Tree objects parsed directly: the entries a diff walks ([`changes`](crate::changes)).
//!
//! libgit2 builds a heap object per tree and per entry, and reads packed trees behind its
//! per-pack mutex: a history scan of test262 spent a sixth of its time there. A [`Tree`]
//! is the object's bytes as [`objects`](crate::objects) read them (its id checked), and
//! entries are read from them in place. Modes are taken as libgit2 takes them, so that
//! both readers agree on every entry.
//!
//! Layout: git's `Documentation/gitformat-object.txt`; entries are
//! `<octal mode> <name>\0<20-byte id>`, sorted by name, a tree's name as if it ended in `/`.

use std::rc::Rc;

use anyhow::{Result, bail};
use git2::Oid;

use crate::objects::Buffer;

/// A tree object's bytes, every entry checked to be well formed.
#[derive(Clone)]
pub struct Tree(Rc<Buffer>);

/// One entry of a [`Tree`].
#[derive(Clone, Copy)]
pub struct Entry<'t> {
    pub name: &'t [u8],
    /// The mode as libgit2 gives it (`git_tree_entry_filemode`): one of git's six.
    pub mode: u32,
    id: &'t [u8; 20],
}

const TYPE: u32 = 0o170000;
const DIR: u32 = 0o040000;
const GITLINK: u32 = 0o160000;
const SYMLINK: u32 = 0o120000;

impl Tree {
    /// The tree whose object bytes are `bytes`.
    ///
    /// # Errors
    /// An entry that is not `<octal mode> <name>\0<id>`, or a name that is empty: a tree
    /// misread would hide files.
    pub fn parse(id: Oid, bytes: Rc<Buffer>) -> Result<Tree> {
        if !well_formed(&bytes) {
            bail!("tree {id} is malformed; `git fsck` tells more");
        }
        Ok(Tree(bytes))
    }

    /// A tree whose bytes [`well_formed`] accepted already: a cached tree is not checked
    /// again each time it is read.
    pub(crate) fn checked(bytes: Rc<Buffer>) -> Tree {
        Tree(bytes)
    }

    /// The entries, in the tree's order.
    pub fn iter(&self) -> Entries<'_> {
        Entries(&self.0)
    }

    /// The entry named `name`, if any.
    pub fn get(&self, name: &[u8]) -> Option<Entry<'_>> {
        self.iter().find(|e| e.name == name)
    }
}

/// Whether every entry of a tree object's bytes is well formed.
pub fn well_formed(mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        match split(bytes) {
            Some((_, rest)) => bytes = rest,
            None => return false,
        }
    }
    true
}

/// The entries of a [`Tree`].
pub struct Entries<'t>(&'t [u8]);

impl<'t> Iterator for Entries<'t> {
    type Item = Entry<'t>;

    fn next(&mut self) -> Option<Entry<'t>> {
        // Checked by `Tree::parse`: an entry that does not split ends the walk.
        let (entry, rest) = split(self.0)?;
        self.0 = rest;
        Some(entry)
    }
}

/// The first entry of `bytes` and what follows it; `None` when it is malformed.
fn split(bytes: &[u8]) -> Option<(Entry<'_>, &[u8])> {
    let space = memchr::memchr(b' ', bytes)?;
    let nul = space + 1 + memchr::memchr(0, &bytes[space + 1..])?;
    let digits = &bytes[..space];
    if digits.is_empty() || nul == space + 1 {
        return None;
    }
    // Octal, of 16 bits at most, as libgit2 takes it (leading zeros too: old tools wrote them).
    let mut mode = 0u32;
    for &d in digits {
        if !(b'0'..=b'7').contains(&d) || mode > 0xffff {
            return None;
        }
        mode = mode << 3 | u32::from(d - b'0');
    }
    if mode > 0xffff {
        return None;
    }
    let id = bytes.get(nul + 1..nul + 21)?.try_into().ok()?;
    Some((Entry { name: &bytes[space + 1..nul], mode: normalized(mode), id }, &bytes[nul + 21..]))
}

/// The mode libgit2 reports for a stored mode (its `normalize_filemode`): old trees hold
/// modes like `100664`.
fn normalized(mode: u32) -> u32 {
    match mode & TYPE {
        DIR => DIR,
        _ if mode & 0o100 != 0 => 0o100755,
        GITLINK => GITLINK,
        SYMLINK => SYMLINK,
        _ => 0o100644,
    }
}

impl Entry<'_> {
    pub fn is_tree(&self) -> bool {
        self.mode == DIR
    }

    /// A submodule's commit: another repository's content.
    pub fn is_gitlink(&self) -> bool {
        self.mode == GITLINK
    }

    pub fn id(&self) -> Oid {
        Oid::from_bytes(self.id).expect("20 bytes are an object ID")
    }

    /// Whether it names the object `id`, without building an [`Oid`].
    pub fn names(&self, id: Oid) -> bool {
        self.id[..] == *id.as_bytes()
    }

    /// Whether two entries name the same object.
    pub fn same_object(&self, other: &Entry<'_>) -> bool {
        self.id == other.id
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use git2::{Oid, Repository};

    use crate::changes::{Changes, Trees};
    use crate::index_file::tests::git_command;
    use crate::objects::Objects;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = git_command(dir).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim_end().to_string()
    }

    /// A tree object written as given, as old or foreign tools wrote them.
    fn literal_tree(dir: &Path, entries: &[(&str, &str, &str)]) -> String {
        let mut bytes = Vec::new();
        for (mode, name, hex) in entries {
            bytes.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            bytes.extend_from_slice(Oid::from_str(hex).unwrap().as_bytes());
        }
        let file = dir.join("literal");
        std::fs::write(&file, &bytes).unwrap();
        git(dir, &["hash-object", "-t", "tree", "--literally", "-w", file.to_str().unwrap()])
    }

    /// Every entry of every tree, read here and by libgit2, must agree: names that sort
    /// around `a/`, a symlink, an executable, a submodule, and modes git no longer writes.
    #[test]
    fn entries_read_as_libgit2_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        for (path, content) in [("a", "1"), ("a.b", "2"), ("a-b", "3"), ("ab/c", "4"), ("a0", "5"), ("z/y/x", "6")] {
            std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
            std::fs::write(root.join(path), content).unwrap();
        }
        std::os::unix::fs::symlink("a", root.join("link")).unwrap();
        git(root, &["add", "."]);
        git(root, &["update-index", "--chmod=+x", "a.b"]);
        let head = "1234567890123456789012345678901234567890";
        git(root, &["update-index", "--add", "--cacheinfo", &format!("160000,{head},sub")]);
        let tree = git(root, &["write-tree"]);
        let blob = git(root, &["rev-parse", ":a"]);
        let odd = literal_tree(
            root,
            &[
                ("100664", "group-writable", &blob),
                ("0100644", "zero-padded", &blob),
                ("100744", "owner-exec", &blob),
                ("100610", "group-exec-only", &blob),
                ("160755", "gitlink-exec", head),
                ("40000", "subtree", &tree),
                ("120777", "symlink", &blob),
            ],
        );
        git(root, &["commit", "-q", "-m", "x"]);
        let repo = Repository::open(root).unwrap();
        for packed in [false, true] {
            if packed {
                git(root, &["repack", "-a", "-d", "-q"]);
            }
            let objects = Objects::new(&repo);
            let mut count = 0;
            for hex in [&tree, &odd] {
                let id = Oid::from_str(hex).unwrap();
                let theirs = repo.find_tree(id).unwrap();
                let ours = objects.tree(&repo, id).unwrap();
                let ours: Vec<_> = ours.iter().map(|e| (e.name.to_vec(), e.mode, e.id(), e.is_tree())).collect();
                let theirs: Vec<_> = theirs
                    .iter()
                    .map(|e| {
                        let is_tree = e.kind() == Some(git2::ObjectType::Tree);
                        (e.name_bytes().to_vec(), e.filemode() as u32, e.id(), is_tree)
                    })
                    .collect();
                assert_eq!(ours, theirs, "packed: {packed}");
                count += ours.len();
            }
            assert_eq!(count, 15);
        }
    }

    /// A tree whose entries do not parse is an error wherever it is stored, never fewer files.
    #[test]
    fn a_malformed_tree_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        std::fs::write(root.join("literal"), b"100644 no-id\0short").unwrap();
        let bad = git(root, &["hash-object", "-t", "tree", "--literally", "-w", "literal"]);
        let repo = Repository::open(root).unwrap();
        let id = Oid::from_str(&bad).unwrap();
        assert!(Objects::new(&repo).tree(&repo, id).is_err());
        assert!(!super::well_formed(b"100644 no-id\0short"));
        assert!(!super::well_formed(b"10064x name\0"));
        assert!(!super::well_formed(b"100644 \0"));
        let blob = git(root, &["hash-object", "-w", "literal"]);
        assert!(Objects::new(&repo).tree(&repo, Oid::from_str(&blob).unwrap()).is_err(), "a blob is not a tree");
    }

    /// The files each commit adds or modifies, as git's own diff lists them: through mode
    /// changes, a file becoming a directory and back, submodules and symlinks.
    #[test]
    fn diffs_list_what_git_lists() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        let head = "1234567890123456789012345678901234567890";
        let write = |path: &str, content: &str| {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, content).unwrap();
        };
        let steps: Vec<Box<dyn Fn()>> = vec![
            Box::new(|| {
                for path in ["a", "a.b", "a-b", "b/c", "b/d/e", "sub.txt"] {
                    write(path, path);
                }
                git(root, &["update-index", "--add", "--cacheinfo", &format!("160000,{head},sub")]);
            }),
            Box::new(|| git(root, &["update-index", "--chmod=+x", "a"]).truncate(0)),
            Box::new(|| {
                std::fs::remove_file(root.join("a")).unwrap();
                write("a/inner", "now a directory");
                write("b/d/e", "changed");
            }),
            Box::new(|| {
                std::fs::remove_dir_all(root.join("a")).unwrap();
                write("a", "a file again");
                std::fs::remove_dir_all(root.join("b/d")).unwrap();
                write("b/d", "file where a directory was");
                git(root, &["update-index", "--cacheinfo", "160000,2234567890123456789012345678901234567890,sub"]);
            }),
            Box::new(|| {
                std::fs::remove_file(root.join("a.b")).unwrap();
                std::os::unix::fs::symlink("a", root.join("a.b")).unwrap();
                git(root, &["rm", "-q", "--cached", "sub"]);
                write("sub/file", "a directory where the submodule was");
                git(root, &["add", "sub/file"]);
            }),
        ];
        let repo = Repository::open(root).unwrap();
        let mut parent: Option<String> = None;
        for step in steps {
            step();
            // The submodule is staged by hand: it has no work tree here.
            git(root, &["add", "-A", "--", ".", ":(exclude)sub"]);
            git(root, &["commit", "-q", "--allow-empty", "-m", "step"]);
            let commit = git(root, &["rev-parse", "HEAD"]);
            let objects = Objects::new(&repo);
            let trees = Trees { repo: &repo, objects: &objects };
            let tree = |rev: &str| Oid::from_str(&git(root, &["rev-parse", &format!("{rev}^{{tree}}")])).unwrap();
            let (ours, listed) = match &parent {
                None => (Changes::all_of(trees, tree(&commit)).unwrap(), git(root, &["ls-tree", "-r", &commit])),
                Some(parent) => (
                    Changes::between(trees, tree(parent), tree(&commit)).unwrap(),
                    git(root, &["diff-tree", "-r", "--no-renames", parent, &commit]),
                ),
            };
            let mut ours: Vec<String> =
                ours.files.iter().map(|c| format!("{} {}", c.new, String::from_utf8_lossy(&c.path))).collect();
            // git's added and modified files and symlinks (not submodules), with their
            // new blob; a change of mode alone adds no content.
            let mut theirs: Vec<String> = listed
                .lines()
                .filter_map(|line| {
                    let (meta, path) = line.split_once('\t')?;
                    let fields: Vec<&str> = meta.split(' ').collect();
                    let (mode, id) = match fields.as_slice() {
                        [mode, _, id] => (*mode, *id),
                        [_, new_mode, old, new, _] if old != new => (*new_mode, *new),
                        _ => return None,
                    };
                    (mode != "160000" && mode != "000000").then(|| format!("{id} {path}"))
                })
                .collect();
            ours.sort();
            theirs.sort();
            assert_eq!(ours, theirs, "commit {commit}");
            parent = Some(commit);
        }
    }
}
