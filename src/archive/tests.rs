//! Unit tests of archive walking.

use std::io::Write;

use super::*;
use crate::fake::zip_of;

fn members(bytes: &[u8], limits: Limits) -> Result<Vec<(String, Vec<u8>)>, Problem> {
    let mut out = Vec::new();
    for_each_member(bytes, &mut Budget::new(limits), &mut |p, c, view| {
        if view == View::Member {
            out.push((p.to_string(), c.to_vec()));
        }
        Ok(())
    })?;
    Ok(out)
}

#[test]
fn zip_members_stored_and_deflated_and_nested() {
    let inner = zip_of(&[("conf/.env", b"KEY=1\n")], ::zip::CompressionMethod::Deflated);
    let outer = zip_of(
        &[("a.txt", b"hello\n"), ("lib/inner.jar", &inner), ("b.txt", b"stored\n")],
        ::zip::CompressionMethod::Stored,
    );
    assert_eq!(format(&outer), Some(Format::Zip));
    let got = members(&outer, Limits::default()).unwrap();
    let names: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, vec!["a.txt", "lib/inner.jar!conf/.env", "b.txt"]);
    // At depth 1 the inner archive is beyond the bound: an error, never a silent pass.
    let got = members(&outer, Limits { max_depth: 1, ..Limits::default() });
    assert!(matches!(got, Err(Problem::Bound(m)) if m.contains("lib/inner.jar is an archive nested more than 1 deep")));
}

#[test]
fn bombs_and_corrupt_archives_are_problems() {
    let bomb = zip_of(&[("zeros", &vec![0u8; 50 << 20])], ::zip::CompressionMethod::Deflated);
    assert!(matches!(members(&bomb, Limits::default()), Err(Problem::Bound(m)) if m.contains("ratio")));
    let big = zip_of(&[("a", &vec![b'a'; 4096]), ("b", &vec![b'b'; 4096])], ::zip::CompressionMethod::Stored);
    let tight = Limits { max_archive_bytes: 5000, ..Limits::default() };
    assert!(matches!(members(&big, tight), Err(Problem::Bound(m)) if m.contains("5000 bytes")));
    let many = zip_of(&[("a", b"1"), ("b", b"2"), ("c", b"3")], ::zip::CompressionMethod::Stored);
    assert!(matches!(members(&many, Limits { max_members: 2, ..Limits::default() }), Err(Problem::Bound(_))));
    let mut corrupt = many.clone();
    corrupt.truncate(corrupt.len() - 10);
    assert!(matches!(members(&corrupt, Limits::default()), Err(Problem::Unreadable(_))));
}

#[test]
fn gzip_and_tar_gz() {
    let mut tar = ::tar::Builder::new(Vec::new());
    let mut header = ::tar::Header::new_gnu();
    header.set_size(6);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "app/config.ini", &b"k = v\n"[..]).unwrap();
    let tar = tar.into_inner().unwrap();
    assert_eq!(format(&tar), Some(Format::Tar));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    let tgz = gz.finish().unwrap();
    let got = members(&tgz, Limits::default()).unwrap();
    assert_eq!(got, vec![("app/config.ini".to_string(), b"k = v\n".to_vec())]);
}

#[test]
fn sizes_parse_with_units() {
    assert_eq!(parse_size("256MiB"), Ok(256 << 20));
    assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
    assert_eq!(parse_size("4096"), Ok(4096));
    assert!(parse_size("lots").is_err());
    assert!(parse_size("5 parsecs").is_err());
}

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = ::tar::Builder::new(Vec::new());
    for (name, content) in files {
        let mut header = ::tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, *content).unwrap();
    }
    tar.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn multi_member_gzip_is_one_content_and_trailing_bytes_are_raw() {
    let mut two = gzip(b"first\n");
    two.extend(gzip(b"second\n"));
    two.extend(b"trailing text\n");
    let got = members(&two, Limits::default()).unwrap();
    assert_eq!(got, vec![("(gzip content)".to_string(), b"first\nsecond\n".to_vec())]);
}

#[test]
fn xz_and_bzip2_streams_and_tars_in_them() {
    let tar = tar_of(&[("etc/app.env", b"K=V\n")]);
    let mut xz = Vec::new();
    lzma_rs::xz_compress(&mut &tar[..], &mut xz).unwrap();
    assert_eq!(format(&xz), Some(Format::Xz));
    assert_eq!(members(&xz, Limits::default()).unwrap(), vec![("etc/app.env".to_string(), b"K=V\n".to_vec())]);
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    bz.write_all(b"plain text\n").unwrap();
    let bz = bz.finish().unwrap();
    assert_eq!(format(&bz), Some(Format::Bzip2));
    assert_eq!(
        members(&bz, Limits::default()).unwrap(),
        vec![("(bzip2 content)".to_string(), b"plain text\n".to_vec())]
    );
    let mut broken = bz.clone();
    broken.truncate(bz.len() - 8);
    assert!(matches!(members(&broken, Limits::default()), Err(Problem::Unreadable(_))));
}

#[test]
fn a_tar_lookalike_is_not_an_archive_and_a_prefixed_zip_is() {
    let mut js = b"/* headers.js */\n".to_vec();
    js.resize(257, b' ');
    js.extend(b"ustar\0 = 'magic';\n");
    assert_eq!(format(&js), Some(Format::Tar));
    let walked = for_each_member(&js, &mut Budget::new(Limits::default()), &mut |_, _, _| Ok(())).unwrap();
    assert_eq!(walked, Walked::NotArchive);
    let mut jar = b"#!/bin/bash\nexec java -jar \"$0\" \"$@\"\nexit 0\n".to_vec();
    jar.extend(zip_of(&[("BOOT-INF/classes/application.yml", b"a: b\n")], ::zip::CompressionMethod::Deflated));
    assert_eq!(format(&jar), Some(Format::PrefixedZip));
    let got = members(&jar, Limits::default()).unwrap();
    assert_eq!(got, vec![("BOOT-INF/classes/application.yml".to_string(), b"a: b\n".to_vec())]);
}

#[test]
fn raw_bytes_are_visited_after_members_and_office_text_is_joined() {
    let doc = b"<w:p><w:r><w:t>AB</w:t></w:r><w:proofErr/><w:r><w:t>C&amp;D</w:t></w:r></w:p><w:p><w:t>E</w:t></w:p>";
    let docx = zip_of(&[("word/document.xml", doc)], ::zip::CompressionMethod::Deflated);
    let mut views = Vec::new();
    for_each_member(&docx, &mut Budget::new(Limits::default()), &mut |p, c, v| {
        views.push((p.to_string(), c.to_vec(), v));
        Ok(())
    })
    .unwrap();
    assert_eq!(views.len(), 3);
    assert_eq!(views[1], ("word/document.xml".to_string(), b"ABC&D\nE\n".to_vec(), View::Derived));
    assert_eq!(views[2], (String::new(), docx, View::Derived));
}

#[test]
fn concatenated_xz_and_bzip2_streams_are_one_content_and_what_follows_is_raw() {
    let xz = |text: &[u8]| {
        let mut out = Vec::new();
        lzma_rs::xz_compress(&mut &text[..], &mut out).unwrap();
        out
    };
    let bz = |text: &[u8]| {
        let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        enc.write_all(text).unwrap();
        enc.finish().unwrap()
    };
    let mut xzs = xz(b"one\n");
    xzs.extend([0u8; 4]);
    xzs.extend(xz(b"two\n"));
    xzs.extend(b"trailing YZ text\n");
    assert_eq!(members(&xzs, Limits::default()).unwrap(), vec![("(xz content)".to_string(), b"one\ntwo\n".to_vec())]);
    let mut bzs = bz(b"one\n");
    bzs.extend(bz(b"two\n"));
    bzs.extend(b"trailing text\n");
    assert_eq!(
        members(&bzs, Limits::default()).unwrap(),
        vec![("(bzip2 content)".to_string(), b"one\ntwo\n".to_vec())]
    );
}

#[test]
fn containers_nested_past_the_hard_bound_are_a_problem_even_tars() {
    let mut tar = tar_of(&[("x.txt", b"x\n")]);
    for _ in 0..40 {
        tar = tar_of(&[("inner.tar", &tar)]);
    }
    assert!(matches!(members(&tar, Limits::default()), Err(Problem::Bound(m)) if m.contains("more than 32 deep")));
}

/// An xz stream as `xz --check=sha256` writes it: one LZMA2 block whose check is the
/// SHA-256 of its content, built by hand (lzma-rs writes only CRC64 checks).
fn xz_sha256(content: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let crc32 = |bytes: &[u8]| {
        let mut crc = flate2::Crc::new();
        crc.update(bytes);
        crc.sum().to_le_bytes()
    };
    let varint = |mut n: u64, out: &mut Vec<u8>| loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    };
    let flags = [0x00, 0x0a];
    let mut xz = b"\xfd7zXZ\x00".to_vec();
    xz.extend_from_slice(&flags);
    xz.extend_from_slice(&crc32(&flags));
    // Block header: size, flags (one filter, no sizes), LZMA2 with a 1 MiB dictionary.
    let mut header = vec![0x02, 0x00, 0x21, 0x01, 0x08, 0x00, 0x00, 0x00];
    let crc = crc32(&header);
    header.extend_from_slice(&crc);
    let mut data = Vec::new();
    lzma_rs::lzma2_compress(&mut &content[..], &mut data).unwrap();
    let block_start = xz.len();
    xz.extend_from_slice(&header);
    xz.extend_from_slice(&data);
    let unpadded = (xz.len() - block_start + 32) as u64;
    while (xz.len() - block_start) % 4 != 0 {
        xz.push(0);
    }
    xz.extend_from_slice(&sha2::Sha256::digest(content));
    let mut index = vec![0x00];
    varint(1, &mut index);
    varint(unpadded, &mut index);
    varint(content.len() as u64, &mut index);
    while index.len() % 4 != 0 {
        index.push(0);
    }
    let crc = crc32(&index);
    index.extend_from_slice(&crc);
    xz.extend_from_slice(&index);
    let mut footer = (u32::try_from(index.len() / 4 - 1).unwrap()).to_le_bytes().to_vec();
    footer.extend_from_slice(&flags);
    xz.extend_from_slice(&crc32(&footer));
    xz.extend_from_slice(&footer);
    xz.extend_from_slice(b"YZ");
    xz
}

#[test]
fn xz_with_sha256_checks_is_read() {
    let tar = tar_of(&[("etc/app.env", b"K=V\n")]);
    let xz = xz_sha256(&tar);
    assert_eq!(format(&xz), Some(Format::Xz));
    assert_eq!(members(&xz, Limits::default()).unwrap(), vec![("etc/app.env".to_string(), b"K=V\n".to_vec())]);
    // Two streams back to back are one content, as with CRC64 checks.
    let two = [xz_sha256(b"one\n"), xz_sha256(b"two\n")].concat();
    assert_eq!(members(&two, Limits::default()).unwrap(), vec![("(xz content)".to_string(), b"one\ntwo\n".to_vec())]);
    // A filter chain lzma-rs cannot run (x86 BCJ before LZMA2) is unreadable: fail closed.
    let mut bcj = xz_sha256(b"text\n");
    bcj[13] = 0x01;
    assert!(matches!(members(&bcj, Limits::default()), Err(Problem::Unreadable(_))));
}
