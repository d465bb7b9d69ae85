//! Packed blobs and trees read directly, without libgit2.
//!
//! libgit2 shares one reader per pack file among all the repositories of a process, behind
//! a mutex: the threads of a history scan spent half their switches waiting for it. Each
//! [`Packs`] here maps the `pack-*.idx` (version 2) and `.pack` files itself and belongs to
//! one thread, so nothing is shared and nothing is locked. An id is found in an index
//! (fan-out table, binary search, large offsets), its entry's header gives its type and
//! size, the entry is inflated by libdeflate into a buffer of exactly that size (which also
//! checks the stream's Adler-32), and deltas (`OFS_DELTA`, `REF_DELTA`) are applied in git's
//! format. Bases recently rebuilt are kept in a small cache: a history scan reads many
//! versions of a file, each a delta against the same few bases.
//!
//! Every object is checked against its id (SHA-1 of `blob <size>\0<content>`, or `tree`,
//! as libgit2 does) before it is handed out. Anything this reader does not know or does not
//! trust (an id in no index, an index of another version, a base in another object
//! directory, a damaged entry, an object of another type, a wrong hash) is left to libgit2,
//! which reads it or words the error: a wrong byte here would be a missed credential.
//!
//! Layouts: git's `Documentation/gitformat-pack.txt`.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;

use libdeflate_sys::{
    libdeflate_alloc_decompressor, libdeflate_decompressor, libdeflate_free_decompressor,
    libdeflate_result_LIBDEFLATE_SUCCESS, libdeflate_zlib_decompress,
};
use sha1::{Digest, Sha1};

use crate::objects::Buffer;

/// Bytes of rebuilt bases kept per reader. git's own cache (`core.deltaBaseCacheLimit`)
/// is 96 MiB for a whole process.
const CACHE_LIMIT: usize = 32 << 20;

/// Bytes of checked trees kept per reader: a commit's old trees are, most of the time, the
/// new trees of the commit before it.
const TREE_CACHE_LIMIT: usize = 8 << 20;

/// Object types in a pack entry's header.
const TREE: u8 = 2;
const BLOB: u8 = 3;
const OFS_DELTA: u8 = 6;
const REF_DELTA: u8 = 7;

/// A delta chain longer than this is taken for a loop (git's default depth is 50, and
/// `--depth` is capped at 4095).
const MAX_CHAIN: usize = 10_000;

/// What [`Packs::blob`] found.
pub enum Packed {
    /// The blob, checked against its id.
    Read(Rc<Buffer>),
    /// A blob larger than the limit: not read.
    Larger,
    /// Not in these packs, not a blob, or not readable here: ask libgit2.
    NotHere,
}

/// The packs of some object directories, read by one thread.
pub struct Packs {
    dirs: Vec<PathBuf>,
    /// Opened at the first lookup: a commit of a few loose objects never needs them. The
    /// mappings may be shared with other threads' readers (they are only read): mapped once,
    /// a pack's pages count once in the process's memory.
    packs: OnceCell<Arc<[Pack]>>,
    bases: RefCell<Bases<u64>>,
    /// Checked trees by id: a tree found here needs no lookup in the pack index either.
    trees: RefCell<Bases<[u8; 20]>>,
    /// `None` if libdeflate could not allocate one: then libgit2 reads everything.
    inflater: RefCell<Option<Inflater>>,
}

impl Packs {
    /// A reader of the packs under `dirs` (object directories: `dirs[i]/pack/*.idx`) as
    /// they are at the first lookup.
    pub fn new(dirs: Vec<PathBuf>) -> Packs {
        Packs {
            dirs,
            packs: OnceCell::new(),
            bases: RefCell::new(Bases::new(CACHE_LIMIT)),
            trees: RefCell::new(Bases::new(TREE_CACHE_LIMIT)),
            inflater: RefCell::new(Inflater::new()),
        }
    }

    /// A reader of the packs `shared` has opened, with a cache of its own, for another
    /// thread.
    pub fn sharing(shared: &SharedPacks) -> Packs {
        let packs = Packs::new(Vec::new());
        let _ = packs.packs.set(Arc::clone(&shared.0));
        packs
    }

    /// The packs this reader has opened (opening them now if it has not yet), for
    /// [`Packs::sharing`].
    pub fn share(&self) -> SharedPacks {
        self.packs();
        SharedPacks(Arc::clone(self.packs.get().expect("opened above")))
    }

    fn packs(&self) -> &[Pack] {
        self.packs.get_or_init(|| {
            let mut packs = Vec::new();
            for dir in &self.dirs {
                let Ok(entries) = std::fs::read_dir(dir.join("pack")) else { continue };
                let mut found: Vec<PathBuf> =
                    entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "idx")).collect();
                found.sort();
                packs.extend(found.iter().filter_map(|idx| Pack::open(idx)));
            }
            packs.into()
        })
    }

    /// The blob `id` if it is in these packs and at most `limit` bytes.
    pub fn blob(&self, id: &[u8], limit: usize) -> Packed {
        self.object(id, BLOB, limit)
    }

    /// The tree `id`'s bytes if it is in these packs, checked by [`crate::tree::well_formed`].
    pub fn tree(&self, id: &[u8]) -> Option<Rc<Buffer>> {
        match self.object(id, TREE, usize::MAX) {
            Packed::Read(tree) => Some(tree),
            _ => None,
        }
    }

    /// The object `id` if it is in these packs, of type `kind`, and at most `limit` bytes.
    fn object(&self, id: &[u8], kind: u8, limit: usize) -> Packed {
        let Ok(id) = <&[u8; 20]>::try_from(id) else { return Packed::NotHere };
        if kind == TREE
            && let Some(tree) = self.trees.borrow_mut().get(*id)
        {
            return Packed::Read(tree);
        }
        let Some((pack, offset)) = self.find(id) else { return Packed::NotHere };
        match self.read(pack, offset, kind, limit) {
            Some(Read::Object(object)) if hash_matches(kind, id, &object) => {
                if kind == TREE {
                    // A malformed tree is left to libgit2 (and to `Tree::parse`'s error).
                    if !crate::tree::well_formed(&object) {
                        return Packed::NotHere;
                    }
                    self.trees.borrow_mut().insert(*id, Rc::clone(&object));
                }
                Packed::Read(object)
            }
            Some(Read::Larger) => Packed::Larger,
            _ => Packed::NotHere,
        }
    }

    /// Which pack holds `id`, and where.
    fn find(&self, id: &[u8; 20]) -> Option<(usize, u64)> {
        self.packs().iter().enumerate().find_map(|(i, pack)| Some((i, pack.find(id)?)))
    }

    /// The object at `offset` in pack `pack`, its deltas applied; `None` when it is not of
    /// type `kind` or anything about it is wrong.
    fn read(&self, pack: usize, offset: u64, kind: u8, limit: usize) -> Option<Read> {
        let packs = self.packs();
        // The deltas from the object asked for down to a base: a full object or a cached one.
        let mut chain: Vec<(usize, Entry)> = Vec::new();
        let (mut at_pack, mut at) = (pack, offset);
        let (base, cached) = loop {
            if let Some(cached) = self.bases.borrow_mut().get(key(at_pack, at)) {
                break (cached, true);
            }
            let entry = packs[at_pack].entry(at)?;
            match entry.kind {
                k if k == kind => {
                    if chain.is_empty() && entry.size > limit {
                        return Some(Read::Larger);
                    }
                    break (Rc::new(self.inflate(&packs[at_pack], &entry)?), false);
                }
                OFS_DELTA | REF_DELTA => {
                    let next = match entry.base {
                        Base::Offset(base) => (at_pack, base),
                        // A base in another pack is read there; in none, libgit2 reads it all.
                        Base::Id(id) => self.find(&id)?,
                        Base::None => return None,
                    };
                    chain.push((at_pack, entry));
                    if chain.len() > MAX_CHAIN {
                        return None;
                    }
                    (at_pack, at) = next;
                }
                // Another type, or one that does not exist.
                _ => return None,
            }
        };
        if chain.is_empty() {
            if base.len() > limit {
                return Some(Read::Larger);
            }
            return Some(Read::Object(base));
        }
        // `chain` runs from the object asked for down to the delta nearest the base. That
        // first delta is inflated first: its header says how large the blob is.
        let (top_pack, top) = chain.remove(0);
        // A delta larger than the limit is not inflated to learn its blob's size (it may be
        // gigabytes of inserted bytes): libgit2 reads that from its header.
        if top.size > limit {
            return None;
        }
        let top_delta = self.inflate(&packs[top_pack], &top)?;
        let (_, result_size) = delta_sizes(&top_delta)?;
        if result_size > limit {
            return Some(Read::Larger);
        }
        if !cached {
            self.bases.borrow_mut().insert(key(at_pack, at), Rc::clone(&base));
        }
        let mut base = base;
        while let Some((p, entry)) = chain.pop() {
            let delta = self.inflate(&packs[p], &entry)?;
            base = Rc::new(apply_delta(&base, &delta)?);
            self.bases.borrow_mut().insert(key(p, entry.offset), Rc::clone(&base));
        }
        Some(Read::Object(Rc::new(apply_delta(&base, &top_delta)?)))
    }

    /// An entry's data inflated: exactly `entry.size` bytes, or `None`.
    fn inflate(&self, pack: &Pack, entry: &Entry) -> Option<Buffer> {
        let data = pack.data.get(entry.data..pack.data.len() - 20)?;
        let mut inflater = self.inflater.borrow_mut();
        let inflater = inflater.as_mut()?;
        // SAFETY: `zlib` is true only when it wrote all `entry.size` bytes.
        unsafe { Buffer::written(entry.size, |out| inflater.zlib(data, out, entry.size)) }
    }
}

/// libdeflate's decompressor through its C interface, which (unlike `libdeflater`'s, made of
/// slices) inflates into memory that was never zeroed: see [`Buffer::written`].
struct Inflater(NonNull<libdeflate_decompressor>);

impl Inflater {
    fn new() -> Option<Inflater> {
        // SAFETY: no arguments; a null pointer (out of memory) is checked.
        NonNull::new(unsafe { libdeflate_alloc_decompressor() }).map(Inflater)
    }

    /// Inflates the zlib stream at the start of `data` into the `size` bytes at `out`: true
    /// when it fills exactly those. libdeflate stops at the end of the stream (the next
    /// entry follows it) and checks its Adler-32; more output than `size` is an error.
    fn zlib(&mut self, data: &[u8], out: *mut u8, size: usize) -> bool {
        let mut written = 0;
        // SAFETY: `data` is readable for its length, `out` writable for `size` bytes (the
        // caller's contract), and libdeflate writes nowhere else and reads only what it wrote.
        let result = unsafe {
            libdeflate_zlib_decompress(
                self.0.as_ptr(),
                data.as_ptr().cast(),
                data.len(),
                out.cast(),
                size,
                &mut written,
            )
        };
        result == libdeflate_result_LIBDEFLATE_SUCCESS && written == size
    }
}

impl Drop for Inflater {
    fn drop(&mut self) {
        // SAFETY: allocated by `libdeflate_alloc_decompressor`, freed once.
        unsafe { libdeflate_free_decompressor(self.0.as_ptr()) }
    }
}

/// Opened packs, to be read by the readers of several threads.
#[derive(Clone)]
pub struct SharedPacks(Arc<[Pack]>);

/// What [`Packs::read`] found.
enum Read {
    Object(Rc<Buffer>),
    Larger,
}

/// Whether `content` is the object `id` names, of type `kind`.
fn hash_matches(kind: u8, id: &[u8; 20], content: &[u8]) -> bool {
    let mut hasher = Sha1::new();
    let name = if kind == TREE { "tree" } else { "blob" };
    hasher.update(format!("{name} {}\0", content.len()).as_bytes());
    hasher.update(content);
    hasher.finalize()[..] == id[..]
}

/// One pack and its index, mapped.
struct Pack {
    idx: memmap2::Mmap,
    data: memmap2::Mmap,
    /// How many objects it holds.
    count: usize,
}

/// Where the tables of a version 2 index start.
const FAN_OUT: usize = 8;
const NAMES: usize = FAN_OUT + 256 * 4;

impl Pack {
    /// The pack whose index is `idx`, if both files are there, of versions this reader
    /// knows, and agree with each other.
    fn open(idx_path: &Path) -> Option<Pack> {
        let map = |path: &Path| {
            let file = File::open(path).ok()?;
            // SAFETY: git writes a pack and its index to temporary files and renames them
            // into place, and never writes them again; a repack deletes them, which leaves
            // a mapping intact.
            unsafe { memmap2::Mmap::map(&file) }.ok()
        };
        let idx = map(idx_path)?;
        let data = map(&idx_path.with_extension("pack"))?;
        if idx.get(..8)? != b"\xfftOc\0\0\0\x02" {
            return None;
        }
        let count = be32(&idx, NAMES - 4)? as usize;
        // Names, CRCs and offsets, then large offsets, then two checksums.
        let tables = NAMES.checked_add(count.checked_mul(28)?)?;
        let large = idx.len().checked_sub(tables + 40)?;
        if large % 8 != 0 {
            return None;
        }
        let mut previous = 0;
        for i in 0..256 {
            let n = be32(&idx, FAN_OUT + 4 * i)?;
            if n < previous {
                return None;
            }
            previous = n;
        }
        let version = be32(&data, 4)?;
        let agree = data.get(..4)? == b"PACK"
            && (version == 2 || version == 3)
            && be32(&data, 8)? as usize == count
            && data.len() >= 32
            && data[data.len() - 20..] == idx[idx.len() - 40..idx.len() - 20];
        agree.then_some(Pack { idx, data, count })
    }

    /// Where `id`'s entry starts, if this pack holds it.
    ///
    /// Object names are uniformly spread, so the first probes guess where `id` lies from the
    /// names around it (interpolation): two or three probes, close together, where a binary
    /// search takes a dozen across the index, each a cache miss (3% of a history scan).
    /// Then halves, so that no spread of names takes more than a binary search's steps.
    fn find(&self, id: &[u8; 20]) -> Option<u64> {
        let first = usize::from(id[0]);
        let mut lo = if first == 0 { 0 } else { be32(&self.idx, FAN_OUT + 4 * (first - 1))? as usize };
        let mut hi = be32(&self.idx, FAN_OUT + 4 * first)? as usize;
        let prefix = |name: &[u8]| u64::from_be_bytes(name[..8].try_into().expect("8 bytes"));
        let want = prefix(id);
        // The names just outside [lo, hi) bound the ones inside.
        let (mut below, mut above) = (want & (0xff << 56), want | ((1 << 56) - 1));
        let mut probes = 0;
        while lo < hi {
            probes += 1;
            let mid = if probes <= 4 {
                // In 64 bits: the spread cut to 32 of them, times a count of at most 32. Kept
                // in range whatever a damaged index holds.
                let guess = ((want - below) >> 24).saturating_mul((hi - lo) as u64) / (((above - below) >> 24) + 1);
                lo + (guess as usize).min(hi - lo - 1)
            } else {
                lo + (hi - lo) / 2
            };
            let name = self.idx.get(NAMES + 20 * mid..NAMES + 20 * mid + 20)?;
            match name.cmp(&id[..]) {
                std::cmp::Ordering::Less => (lo, below) = (mid + 1, prefix(name)),
                std::cmp::Ordering::Greater => (hi, above) = (mid, prefix(name)),
                std::cmp::Ordering::Equal => return self.offset(mid),
            }
        }
        None
    }

    /// The offset of the `i`th object of the index.
    fn offset(&self, i: usize) -> Option<u64> {
        let offsets = NAMES + 24 * self.count;
        let small = be32(&self.idx, offsets + 4 * i)?;
        if small & 0x8000_0000 == 0 {
            return Some(u64::from(small));
        }
        let at = offsets + 4 * self.count + 8 * (small & 0x7fff_ffff) as usize;
        let bytes = self.idx.get(at..at + 8)?;
        // Large offsets end where the checksums start.
        if at + 8 > self.idx.len() - 40 {
            return None;
        }
        Some(u64::from_be_bytes(bytes.try_into().ok()?))
    }

    /// The header of the entry at `offset`.
    fn entry(&self, offset: u64) -> Option<Entry> {
        let end = self.data.len() - 20;
        let start = usize::try_from(offset).ok().filter(|&s| s >= 12 && s < end)?;
        let byte = |i: usize| self.data.get(..end)?.get(i).copied();
        let mut at = start;
        let mut c = byte(at)?;
        at += 1;
        let kind = (c >> 4) & 7;
        let mut size = u64::from(c & 0x0f);
        let mut shift = 4;
        while c & 0x80 != 0 {
            c = byte(at)?;
            at += 1;
            if shift > 57 {
                return None;
            }
            size |= u64::from(c & 0x7f) << shift;
            shift += 7;
        }
        let base = match kind {
            OFS_DELTA => {
                c = byte(at)?;
                at += 1;
                let mut back = u64::from(c & 0x7f);
                while c & 0x80 != 0 {
                    c = byte(at)?;
                    at += 1;
                    back = back.checked_add(1)?;
                    if back >> 57 != 0 {
                        return None;
                    }
                    back = (back << 7) | u64::from(c & 0x7f);
                }
                // A base lies before its delta.
                Base::Offset(offset.checked_sub(back).filter(|&b| b >= 12 && back > 0)?)
            }
            REF_DELTA => {
                let id = self.data.get(at..at + 20).filter(|_| at + 20 <= end)?;
                at += 20;
                Base::Id(id.try_into().ok()?)
            }
            _ => Base::None,
        };
        Some(Entry { offset, kind, size: usize::try_from(size).ok()?, data: at, base })
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// A pack entry's header.
struct Entry {
    offset: u64,
    kind: u8,
    /// The size of the object, or of the delta for a delta.
    size: usize,
    /// Where its zlib stream starts.
    data: usize,
    base: Base,
}

/// What a delta applies to.
enum Base {
    None,
    Offset(u64),
    Id([u8; 20]),
}

/// A delta's two sizes (of its base and of its result) and where its instructions start.
fn delta_sizes(delta: &[u8]) -> Option<(usize, usize)> {
    let mut at = 0;
    let base = varint(delta, &mut at)?;
    let result = varint(delta, &mut at)?;
    Some((base, result))
}

/// A little-endian base-128 number at `*at`, as a delta's sizes are written.
fn varint(bytes: &[u8], at: &mut usize) -> Option<usize> {
    let mut value: u64 = 0;
    let mut shift = 0;
    loop {
        let c = *bytes.get(*at)?;
        *at += 1;
        if shift > 57 {
            return None;
        }
        value |= u64::from(c & 0x7f) << shift;
        shift += 7;
        if c & 0x80 == 0 {
            return usize::try_from(value).ok();
        }
    }
}

/// `delta` applied to `base`: copies from the base and inserted bytes, exactly as many as
/// the delta says; `None` when any instruction or size disagrees.
fn apply_delta(base: &[u8], delta: &[u8]) -> Option<Buffer> {
    let mut at = 0;
    let base_size = varint(delta, &mut at)?;
    let result_size = varint(delta, &mut at)?;
    if base_size != base.len() {
        return None;
    }
    let mut out = Vec::new();
    out.try_reserve_exact(result_size).ok()?;
    while at < delta.len() {
        let cmd = delta[at];
        at += 1;
        if cmd & 0x80 != 0 {
            let mut offset = 0usize;
            let mut size = 0usize;
            for i in 0..4 {
                if cmd & (1 << i) != 0 {
                    offset |= usize::from(*delta.get(at)?) << (8 * i);
                    at += 1;
                }
            }
            for i in 0..3 {
                if cmd & (0x10 << i) != 0 {
                    size |= usize::from(*delta.get(at)?) << (8 * i);
                    at += 1;
                }
            }
            if size == 0 {
                size = 0x10000;
            }
            let copied = base.get(offset..offset.checked_add(size)?)?;
            if out.len() + size > result_size {
                return None;
            }
            out.extend_from_slice(copied);
        } else if cmd != 0 {
            let n = usize::from(cmd);
            let inserted = delta.get(at..at + n)?;
            if out.len() + n > result_size {
                return None;
            }
            out.extend_from_slice(inserted);
            at += n;
        } else {
            // Reserved.
            return None;
        }
    }
    (out.len() == result_size).then_some(Buffer::Heap(out))
}

/// Objects rebuilt recently, by pack and offset (see [`key`]) or by id, up to `limit` bytes,
/// the least recently used dropped first.
struct Bases<K> {
    entries: HashMap<K, (Rc<Buffer>, u64)>,
    bytes: usize,
    clock: u64,
    limit: usize,
}

/// A cache key: the pack's number in the top 16 bits, the offset below (a pack of 256 TiB
/// is beyond git).
fn key(pack: usize, offset: u64) -> u64 {
    (pack as u64) << 48 | offset
}

impl<K: std::hash::Hash + Eq> Bases<K> {
    fn new(limit: usize) -> Bases<K> {
        Bases { entries: HashMap::new(), bytes: 0, clock: 0, limit }
    }

    fn get(&mut self, key: K) -> Option<Rc<Buffer>> {
        self.clock += 1;
        let (base, used) = self.entries.get_mut(&key)?;
        *used = self.clock;
        Some(Rc::clone(base))
    }

    fn insert(&mut self, key: K, base: Rc<Buffer>) {
        // One base may take a quarter of the cache at most.
        if base.len() > self.limit / 4 {
            return;
        }
        self.clock += 1;
        self.bytes += base.len();
        if let Some((old, _)) = self.entries.insert(key, (base, self.clock)) {
            self.bytes -= old.len();
        }
        // Down to three quarters at once, dropping the older half of what is left (by last
        // use) each round: no sort, and rare.
        if self.bytes <= self.limit {
            return;
        }
        while self.bytes > self.limit / 4 * 3 {
            let oldest = self.entries.values().map(|(_, used)| *used).min().unwrap_or(self.clock);
            let cut = oldest + (self.clock - oldest) / 2 + 1;
            let mut bytes = self.bytes;
            self.entries.retain(|_, (base, used)| {
                let keep = *used >= cut;
                if !keep {
                    bytes -= base.len();
                }
                keep
            });
            self.bytes = bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::{Content, Objects};
    use git2::{Oid, Repository};
    use std::io::Write;
    use std::process::{Command, Stdio};

    /// git with no user or system configuration, in `dir`.
    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// A repository whose files change a little in each of many commits (so that a repack
    /// makes long delta chains), written by `git fast-import` in one go.
    fn edited_history(dir: &Path, seed: u64) {
        git(dir, &["init", "-q", "--bare", "-b", "main"]);
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut text: Vec<String> = (0..400).map(|i| format!("line {i}: {}\n", rng.u64(..))).collect();
        // Random bytes, larger than a delta's 64 KiB copy unit and its 16 MiB offsets' low part.
        let mut binary: Vec<u8> = (0..300_000).map(|_| rng.u8(..)).collect();
        let mut stream = Vec::new();
        for commit in 0..120 {
            for _ in 0..rng.usize(1..6) {
                let at = rng.usize(..text.len());
                match rng.u8(..3) {
                    0 => text[at] = format!("changed {commit}: {}\n", rng.u64(..)),
                    1 => text.insert(at, format!("inserted {commit}: {}\n", rng.u64(..))),
                    _ if text.len() > 10 => drop(text.remove(at)),
                    _ => {}
                }
            }
            if commit % 7 == 0 {
                let at = rng.usize(..binary.len() - 100);
                binary[at..at + 50].iter_mut().for_each(|b| *b = rng.u8(..));
                binary.extend((0..rng.usize(..5000)).map(|_| rng.u8(..)));
            }
            let small = format!("v{}\n", commit % 13);
            let files: [(&str, Vec<u8>); 5] = [
                ("text.txt", text.concat().into_bytes()),
                ("dir/binary.bin", binary.clone()),
                ("dir/small", small.into_bytes()),
                ("empty", Vec::new()),
                ("reversed.txt", text.iter().rev().map(String::as_str).collect::<String>().into_bytes()),
            ];
            let message = format!("commit {commit}");
            write!(
                stream,
                "commit refs/heads/main\ncommitter T <t@example.invalid> {} +0000\n",
                1_700_000_000 + commit
            )
            .unwrap();
            write!(stream, "data {}\n{message}\n", message.len()).unwrap();
            for (path, content) in files {
                write!(stream, "M 100644 inline {path}\ndata {}\n", content.len()).unwrap();
                stream.extend_from_slice(&content);
                stream.push(b'\n');
            }
        }
        let mut child = Command::new("git")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .current_dir(dir)
            .args(["fast-import", "--quiet"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&stream).unwrap();
        assert!(child.wait().unwrap().success());
    }

    /// Every blob of the repository, as `git cat-file` lists them.
    fn blobs(dir: &Path) -> Vec<(Oid, usize)> {
        git(dir, &["cat-file", "--batch-all-objects", "--batch-check"])
            .lines()
            .filter_map(|line| {
                let mut fields = line.split(' ');
                let (id, kind, size) = (fields.next()?, fields.next()?, fields.next()?);
                (kind == "blob").then(|| (Oid::from_str(id).unwrap(), size.parse().unwrap()))
            })
            .collect()
    }

    /// How many blobs are stored as each entry type.
    fn entry_kinds(packs: &Packs, blobs: &[(Oid, usize)]) -> [usize; 8] {
        let mut kinds = [0; 8];
        for (id, _) in blobs {
            let (pack, offset) = packs.find(id.as_bytes().try_into().unwrap()).expect("packed");
            kinds[usize::from(packs.packs()[pack].entry(offset).unwrap().kind)] += 1;
        }
        kinds
    }

    /// Reads every blob through the pack reader, in order, in reverse and again with a warm
    /// cache, and checks each against libgit2's bytes.
    fn every_blob_reads_as_libgit2_reads_it(dir: &Path) -> [usize; 8] {
        let repo = Repository::open_bare(dir).unwrap();
        let blobs = blobs(dir);
        assert!(blobs.len() > 250, "{} blobs", blobs.len());
        let objects = Objects::new(&repo);
        let mut order: Vec<&(Oid, usize)> = blobs.iter().collect();
        for round in 0..3 {
            if round == 1 {
                order.reverse();
            }
            for &&(id, size) in &order {
                let read = objects.blob(&repo, id).unwrap();
                assert!(matches!(read, Content::Packed(_)), "{id} read by the pack reader");
                let expected = repo.find_blob(id).unwrap();
                assert_eq!(read.len(), size, "{id}");
                assert!(*read == *expected.content(), "{id}: different bytes");
            }
        }
        // A cold reader too, and sizes at the limit: larger blobs are left to the caller.
        let objects = Objects::new(&repo);
        for &(id, size) in &blobs {
            assert!(objects.blob_within(&repo, id, size).unwrap().is_some_and(|c| c.len() == size));
            if size > 0 {
                assert!(objects.blob_within(&repo, id, size - 1).unwrap().is_none(), "{id} is over the limit");
            }
        }
        entry_kinds(&Packs::new(vec![dir.join("objects")]), &blobs)
    }

    #[test]
    fn deltas_of_every_kind_read_as_libgit2_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        edited_history(dir, 7);
        // fast-import's own pack: deltas against the previous version of each file.
        let kinds = every_blob_reads_as_libgit2_reads_it(dir);
        assert!(kinds[usize::from(OFS_DELTA)] > 100, "{kinds:?}");

        git(dir, &["repack", "-a", "-d", "-f", "-q", "--depth=50", "--window=250"]);
        let kinds = every_blob_reads_as_libgit2_reads_it(dir);
        assert!(kinds[usize::from(OFS_DELTA)] > 200 && kinds[usize::from(REF_DELTA)] == 0, "{kinds:?}");
        let depths = git(dir, &["verify-pack", "-v", &format!("{}", pack_idx(dir).display())]);
        assert!(depths.contains("chain length = 30"), "long chains: {depths}");

        git(
            dir,
            &["-c", "repack.useDeltaBaseOffset=false", "repack", "-a", "-d", "-f", "-q", "--depth=50", "--window=250"],
        );
        let kinds = every_blob_reads_as_libgit2_reads_it(dir);
        assert!(kinds[usize::from(REF_DELTA)] > 200 && kinds[usize::from(OFS_DELTA)] == 0, "{kinds:?}");

        // The same pack indexed with 64-bit offsets for every object past its first 4 KiB
        // (git's option for its own tests), as a pack over 2 GiB is.
        let (idx, pack) = (pack_idx(dir), pack_idx(dir).with_extension("pack"));
        let small_idx = std::fs::metadata(&idx).unwrap().len();
        std::fs::remove_file(&idx).unwrap();
        let _ = std::fs::remove_file(idx.with_extension("rev"));
        git(dir, &["index-pack", "--index-version=2,4096", "-o", idx.to_str().unwrap(), pack.to_str().unwrap()]);
        assert!(std::fs::metadata(&idx).unwrap().len() > small_idx + 8 * 200, "large offsets written");
        every_blob_reads_as_libgit2_reads_it(dir);
        // An index of version 1 is left to libgit2.
        std::fs::remove_file(&idx).unwrap();
        git(dir, &["index-pack", "--index-version=1", "-o", idx.to_str().unwrap(), pack.to_str().unwrap()]);
        let repo = Repository::open_bare(dir).unwrap();
        let objects = Objects::new(&repo);
        for (id, size) in blobs(dir) {
            let read = objects.blob(&repo, id).unwrap();
            assert!(matches!(read, Content::Git(_)) && read.len() == size, "{id} read by libgit2");
        }

        git(dir, &["gc", "-q", "--aggressive"]);
        every_blob_reads_as_libgit2_reads_it(dir);
    }

    #[test]
    fn what_the_packs_do_not_hold_is_left_to_libgit2() {
        let dir = tempfile::tempdir().unwrap();
        let (origin, borrower) = (dir.path().join("origin"), dir.path().join("borrower"));
        std::fs::create_dir_all(&origin).unwrap();
        std::fs::create_dir_all(&borrower).unwrap();
        edited_history(&origin, 3);
        git(&origin, &["repack", "-a", "-d", "-q"]);
        // A repository borrowing the other's objects through objects/info/alternates.
        git(&borrower, &["init", "-q", "--bare"]);
        let alternates = format!("{}\n", origin.join("objects").display());
        std::fs::write(borrower.join("objects/info/alternates"), alternates).unwrap();
        let repo = Repository::open_bare(&borrower).unwrap();
        let objects = Objects::new(&repo);
        let (id, size) = blobs(&origin)[0];
        let read = objects.blob(&repo, id).unwrap();
        assert!(matches!(read, Content::Git(_)) && read.len() == size);
        // Missing, or not a blob: libgit2's errors, as before.
        let repo = Repository::open_bare(&origin).unwrap();
        let objects = Objects::new(&repo);
        let missing = Oid::from_str("0123456789012345678901234567890123456789").unwrap();
        assert!(matches!(objects.blob(&repo, missing), Err(crate::objects::ReadError::Missing(_))));
        let tree = repo.head().unwrap().peel_to_tree().unwrap().id();
        assert!(objects.blob(&repo, tree).is_err());
        let packs = Packs::new(vec![origin.join("objects")]);
        assert!(matches!(packs.blob(tree.as_bytes(), usize::MAX), Packed::NotHere));
        assert!(matches!(packs.blob(id.as_bytes(), usize::MAX), Packed::Read(_)));
    }

    #[test]
    fn a_damaged_entry_is_an_error_never_other_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        edited_history(dir, 5);
        // Stored, not compressed: the blob's bytes stand in the pack as they are (one stored
        // block for a blob under 64 KiB).
        git(dir, &["-c", "pack.compression=0", "repack", "-a", "-d", "-F", "-q"]);
        let pack_path = pack_idx(dir).with_extension("pack");
        let pristine = std::fs::read(&pack_path).unwrap();
        let blobs = blobs(dir);
        let packs = Packs::new(vec![dir.join("objects")]);
        let entry = |id: &Oid| {
            let (pack, offset) = packs.find(id.as_bytes().try_into().unwrap()).unwrap();
            packs.packs()[pack].entry(offset).unwrap()
        };
        let whole = blobs
            .iter()
            .find(|(id, size)| (1000..60_000).contains(size) && entry(id).kind == BLOB)
            .expect("a whole blob")
            .0;
        let delta = blobs.iter().find(|(id, size)| *size > 1000 && entry(id).kind == OFS_DELTA).expect("a delta").0;
        let (whole_data, delta_data) = (entry(&whole).data, entry(&delta).data);
        drop(packs);
        let damaged = |change: &dyn Fn(&mut Vec<u8>)| {
            let mut bytes = pristine.clone();
            change(&mut bytes);
            std::fs::remove_file(&pack_path).unwrap();
            std::fs::write(&pack_path, &bytes).unwrap();
            let repo = Repository::open_bare(dir).unwrap();
            let objects = Objects::new(&repo);
            (objects.blob(&repo, whole).map(|c| c.to_vec()).ok(), objects.blob(&repo, delta).map(|c| c.to_vec()).ok())
        };
        // A byte of the blob itself (past the zlib and stored-block headers), then of the delta.
        let (read, _) = damaged(&|bytes| bytes[whole_data + 100] ^= 0x20);
        assert!(read.is_none(), "a damaged blob read as {:?}", read.map(|r| r.len()));
        let (_, read) = damaged(&|bytes| bytes[delta_data + 10] ^= 0x20);
        assert!(read.is_none(), "a damaged delta read as {:?}", read.map(|r| r.len()));
        // The blob changed and its Adler-32 made to match: only the hash tells.
        let (read, _) = damaged(&|bytes| {
            // The zlib header (2 bytes), stored blocks (a byte saying whether it is the last,
            // the length twice, the bytes), then the Adler-32 of the content.
            bytes[whole_data + 7 + 100] ^= 0x20;
            let (mut at, mut content) = (whole_data + 2, Vec::new());
            loop {
                let last = bytes[at] & 1 == 1;
                assert_eq!(bytes[at] & 6, 0, "a stored block");
                let len = usize::from(u16::from_le_bytes([bytes[at + 1], bytes[at + 2]]));
                content.extend_from_slice(&bytes[at + 5..at + 5 + len]);
                at += 5 + len;
                if last {
                    break;
                }
            }
            bytes[at..at + 4].copy_from_slice(&adler32(&content).to_be_bytes());
        });
        assert!(read.is_none(), "a blob with a matching Adler-32 but other bytes read as {:?}", read.map(|r| r.len()));
        // It inflates, and only its hash refuses it.
        let packs = Packs::new(vec![dir.join("objects")]);
        let (pack, offset) = packs.find(whole.as_bytes().try_into().unwrap()).unwrap();
        assert!(matches!(packs.read(pack, offset, BLOB, usize::MAX), Some(Read::Object(_))));
        assert!(matches!(packs.blob(whole.as_bytes(), usize::MAX), Packed::NotHere));
        drop(packs);
        // The pack as it was reads again.
        let (read_whole, read_delta) = damaged(&|_| {});
        assert!(read_whole.is_some() && read_delta.is_some());
    }

    fn adler32(bytes: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for &byte in bytes {
            a = (a + u32::from(byte)) % 65521;
            b = (b + a) % 65521;
        }
        b << 16 | a
    }

    #[test]
    fn the_cache_of_bases_stays_bounded_and_keeps_the_recent_ones() {
        let mut bases = Bases::new(CACHE_LIMIT);
        let base = || Rc::new(Buffer::Heap(vec![0; 1 << 20]));
        for i in 0..200 {
            bases.insert(key(0, i), base());
            bases.get(key(0, 0));
            assert!(bases.bytes <= CACHE_LIMIT);
            assert_eq!(bases.bytes, bases.entries.len() << 20);
        }
        assert!(bases.get(key(0, 199)).is_some() && bases.get(key(0, 0)).is_some());
        assert!(bases.get(key(0, 1)).is_none());
        bases.insert(key(1, 0), Rc::new(Buffer::Heap(vec![0; CACHE_LIMIT])));
        assert!(bases.get(key(1, 0)).is_none(), "too large to keep");
    }

    fn pack_idx(dir: &Path) -> PathBuf {
        let packs = dir.join("objects/pack");
        std::fs::read_dir(packs)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "idx"))
            .unwrap()
    }
}
