//! Tar: stored bytes, so the raw-byte scan covers every header (pax, GNU long names) and
//! member of any type; members are walked for the archives nested in them.

use std::io::Read;

use super::{Members, Problem, Walk, Walked};

/// Visits every member with content, of whatever type. A header that does not parse ends
/// the walk: what follows is still covered by the raw-byte scan. Bytes whose first header
/// does not parse were never a tar.
pub(super) fn walk(w: &mut Walk<'_, '_>, members: &mut Members<'_>, bytes: &[u8]) -> Result<Walked, Problem> {
    let mut tar = ::tar::Archive::new(bytes);
    let Ok(entries) = tar.entries() else { return Ok(Walked::NotArchive) };
    let mut any = false;
    for entry in entries {
        let Ok(mut entry) = entry else { break };
        any = true;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mut content = Vec::new();
        if (&mut entry).take(w.allowance()).read_to_end(&mut content).is_err() {
            break;
        }
        w.charge(content.len() as u64)?;
        if !content.is_empty() {
            w.member(members, &name, &content)?;
        }
    }
    Ok(if any { Walked::Archive } else { Walked::NotArchive })
}
