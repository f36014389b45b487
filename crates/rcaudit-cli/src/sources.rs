//! Reading input files and writing outputs.
//!
//! Every file rcaudit reads goes through [`read_bounded`]: a size limit
//! (`--max-file-size`), a stop at the first NUL byte (no snapshot, rule or
//! config file has one; `/dev/zero` and UTF-16 text do), and words for
//! folders and devices. Every file it writes goes through [`write_atomic`],
//! which never replaces a device, a pipe or a symbolic link with a file.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rcaudit_rules::RuleFile;

/// A file that could not be read, in words.
#[derive(Debug)]
pub struct ReadError {
    pub message: String,
}

/// The default limit for JSON documents (snapshots, baselines): a
/// million-extension account is about 1.6 GB.
pub const DEFAULT_MAX_DOCUMENT: u64 = 2 << 30;
/// The default limit for YAML files (rules, config, waivers, cases).
pub const DEFAULT_MAX_YAML: u64 = 64 << 20;

/// `--max-file-size`, when given: the limit for every file read.
static MAX_FILE_SIZE: OnceLock<u64> = OnceLock::new();

/// Every file this run has read (standard input as `/dev/stdin`):
/// [`write_atomic`] never writes one of them, whichever way the path is
/// spelled and however the file was found (a rules folder, the config's
/// `rules:`, `--token-file`, `-`).
static READ: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn remember(path: &Path) {
    if let Ok(mut read) = READ.lock() {
        read.push(path.to_path_buf());
    }
}

/// Sets the limit of `--max-file-size` for the rest of the run.
pub fn set_max_file_size(bytes: u64) {
    let _ = MAX_FILE_SIZE.set(bytes);
}

/// What a file is, for its limit and for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A JSON document: a snapshot or a report.
    Document,
    /// A YAML file: rules, config, waivers, cases.
    Yaml,
    /// A token file: a line of text.
    Token,
}

impl Kind {
    fn limit(self) -> u64 {
        match self {
            // No token is near this size; --max-file-size is for data.
            Kind::Token => 1 << 20,
            Kind::Document => MAX_FILE_SIZE.get().copied().unwrap_or(DEFAULT_MAX_DOCUMENT),
            Kind::Yaml => MAX_FILE_SIZE.get().copied().unwrap_or(DEFAULT_MAX_YAML),
        }
    }
}

/// Parses a size: bytes, or with a suffix K, M, G (powers of 1024; `KiB`,
/// `MB` and the like are read the same).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (like 500M or 4G)"))?;
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches(['B', 'I'])
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("`{text}` is not a size (like 500M or 4G)")),
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// A size in words: `2 GiB`, `64 MiB`, `1000 bytes`.
pub fn size_in_words(bytes: u64) -> String {
    for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

/// What diagnostics call standard input (`-`).
pub const STDIN_NAME: &str = "<stdin>";

/// A path as messages show it: `-` is [`STDIN_NAME`].
pub fn shown(path: &Path) -> String {
    if path.as_os_str() == "-" {
        STDIN_NAME.to_owned()
    } else {
        path.display().to_string()
    }
}

fn describe(path: &Path, what: &str, error: &std::io::Error) -> ReadError {
    let reason = match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    };
    ReadError {
        message: format!("cannot read {what} {}: {reason}", shown(path)),
    }
}

/// Reads a whole file, within the limit for its kind. `-` is standard
/// input. Pipes and devices are read as streams, under the same limit; a
/// folder is refused. Reading stops at the first NUL byte: a text format
/// has none, so the file is not what it claims (UTF-16, or a device such
/// as `/dev/zero`).
pub fn read_bounded(path: &Path, what: &str, kind: Kind) -> Result<Vec<u8>, ReadError> {
    let limit = kind.limit();
    let fail = |reason: String| ReadError {
        message: format!("cannot read {what} {}: {reason}", shown(path)),
    };
    let too_large = || {
        fail(format!(
            "it is larger than the {} limit for {}; --max-file-size raises it",
            size_in_words(limit),
            match kind {
                Kind::Document => "JSON documents",
                Kind::Yaml => "YAML files",
                Kind::Token => "token files",
            }
        ))
    };
    remember(if path.as_os_str() == "-" {
        Path::new("/dev/stdin")
    } else {
        path
    });
    // The file's size sizes the buffer once: growing it by doubling would
    // copy a large snapshot several times and touch twice its memory.
    let (reader, mut bytes): (Box<dyn std::io::Read>, Vec<u8>) = if path.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), Vec::new())
    } else {
        let file = std::fs::File::open(path).map_err(|e| describe(path, what, &e))?;
        let metadata = file.metadata().map_err(|e| describe(path, what, &e))?;
        if metadata.is_dir() {
            return Err(fail("it is a folder".to_owned()));
        }
        if metadata.is_file() && metadata.len() > limit {
            return Err(too_large());
        }
        let size = if metadata.is_file() {
            metadata.len()
        } else {
            0
        };
        let (bytes, nul) = halves(&file, size).map_err(|e| describe(path, what, &e))?;
        if let Some(at) = nul {
            return Err(fail(nul_reason(&bytes, at)));
        }
        (Box::new(file), bytes)
    };
    // Read a chunk at a time, each checked as it arrives: an endless input
    // of NUL bytes (`/dev/zero`) stops at its first chunk, not at the limit.
    // One byte more than the limit tells a file at the limit from a larger
    // one (a pipe, or a file that grew since its size was read).
    let mut reader = reader.take(limit.saturating_add(1).saturating_sub(size_of(&bytes)));
    loop {
        let start = bytes.len();
        let read = (&mut reader)
            .take(1 << 20)
            .read_to_end(&mut bytes)
            .map_err(|e| describe(path, what, &e))?;
        if let Some(at) = bytes.get(start..).and_then(|new| memchr::memchr(0, new)) {
            return Err(fail(nul_reason(&bytes, start + at)));
        }
        if read == 0 {
            break;
        }
    }
    if u64::try_from(bytes.len()).map_or(true, |n| n > limit) {
        return Err(too_large());
    }
    Ok(bytes)
}

fn size_of(bytes: &[u8]) -> u64 {
    u64::try_from(bytes.len()).unwrap_or(u64::MAX)
}

/// Files at least this large are read by two threads ([`halves`]).
const READ_IN_HALVES: u64 = 8 << 20;

/// The first `size` bytes of a large regular file, read by two threads at
/// once, each into its half of the buffer, with the file's position after
/// them: on a fresh buffer most of a read's time is the kernel mapping
/// pages one by one, and two cores do that in half the time (a 164 MB
/// snapshot: 87-91 ms on one thread, 52-62 ms on two; BENCHMARKS.md).
/// Each thread checks each chunk it reads for a NUL byte while the chunk is
/// in the cache; the offset of the first NUL comes with the bytes (read
/// up to there at least).
/// Anything else (a small file, a platform without positioned reads, a
/// file that shrank meanwhile) gives an empty buffer with room for `size`
/// bytes and the position unchanged, for the caller's loop, which also
/// reads whatever the file grew by.
fn halves(file: &std::fs::File, size: u64) -> std::io::Result<(Vec<u8>, Option<usize>)> {
    #[cfg(unix)]
    if size >= READ_IN_HALVES
        && let Ok(len) = usize::try_from(size)
    {
        use std::io::Seek as _;
        let mut bytes = vec![0u8; len];
        let (first, second) = bytes.split_at_mut(len / 2);
        let offset = size_of(first);
        let half = first.len();
        let read: std::io::Result<Option<usize>> = std::thread::scope(|scope| {
            let other = scope.spawn(|| read_checked(file, second, offset));
            let here = read_checked(file, first, 0);
            let there = other
                .join()
                .unwrap_or_else(|_| Err(std::io::ErrorKind::Other.into()));
            // The first half's NUL comes first; the second's only if the
            // first half has none.
            match here? {
                Some(at) => Ok(Some(at)),
                None => Ok(there?.map(|at| half + at)),
            }
        });
        match read {
            Ok(nul) => {
                (&mut &*file).seek(std::io::SeekFrom::Start(size))?;
                return Ok((bytes, nul));
            }
            // It shrank since its size was read: read it as a stream.
            Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => {}
            Err(error) => return Err(error),
        }
    }
    Ok((
        Vec::with_capacity(usize::try_from(size.saturating_add(1)).unwrap_or(0)),
        None,
    ))
}

/// How much of a file [`read_checked`] reads at a time: small enough to be
/// in the cache when it is checked.
#[cfg(unix)]
const CHUNK: usize = 1 << 20;

/// Fills `buf` from the file's `offset`, a chunk at a time, stopping at
/// the first chunk that holds a NUL byte: that byte's offset in `buf`.
#[cfg(unix)]
fn read_checked(
    file: &std::fs::File,
    buf: &mut [u8],
    offset: u64,
) -> std::io::Result<Option<usize>> {
    use std::os::unix::fs::FileExt as _;
    let mut done = 0;
    let mut at = offset;
    for chunk in buf.chunks_mut(CHUNK) {
        file.read_exact_at(chunk, at)?;
        if let Some(nul) = memchr::memchr(0, chunk) {
            return Ok(Some(done + nul));
        }
        done += chunk.len();
        at = at.saturating_add(size_of(chunk));
    }
    Ok(None)
}

/// Why a NUL byte at `offset` means the file is not text rcaudit reads.
fn nul_reason(bytes: &[u8], offset: usize) -> String {
    match encoding_of(bytes.get(..4).unwrap_or(bytes)) {
        Some(encoding) => format!(
            "it is {encoding} text; rcaudit reads UTF-8 (convert it, e.g. `iconv -f {encoding} -t UTF-8`)"
        ),
        None => format!("it is not UTF-8 text: it holds a NUL byte at offset {offset}"),
    }
}

/// UTF-16 and UTF-32, by their byte-order mark or by the NUL bytes that an
/// ASCII first character leaves.
fn encoding_of(start: &[u8]) -> Option<&'static str> {
    let ascii = |c: u8| c != 0 && c.is_ascii();
    match *start {
        [0xFF, 0xFE, 0, 0, ..] => Some("UTF-32LE"),
        [0, 0, 0xFE, 0xFF, ..] => Some("UTF-32BE"),
        [0xFF, 0xFE, ..] => Some("UTF-16LE"),
        [0xFE, 0xFF, ..] => Some("UTF-16BE"),
        [a, 0, 0, 0, ..] if ascii(a) => Some("UTF-32LE"),
        [0, 0, 0, a, ..] if ascii(a) => Some("UTF-32BE"),
        [a, 0, b, 0, ..] if ascii(a) && ascii(b) => Some("UTF-16LE"),
        [0, a, 0, b, ..] if ascii(a) && ascii(b) => Some("UTF-16BE"),
        _ => None,
    }
}

/// Decodes a file's bytes as UTF-8 text. A UTF-8 byte-order mark is
/// dropped (YAML allows one; editors on Windows add it); UTF-16 and other
/// encodings are named.
fn utf8(path: &Path, what: &str, bytes: Vec<u8>) -> Result<String, ReadError> {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|error| {
        let reason = match encoding_of(error.as_bytes()) {
            Some(encoding) => format!("it is {encoding} text; rcaudit reads UTF-8"),
            None => {
                let at = error.utf8_error().valid_up_to();
                let line = error
                    .as_bytes()
                    .get(..at)
                    .unwrap_or_default()
                    .split(|&b| b == b'\n')
                    .count();
                format!("it is not UTF-8 text (an invalid byte on line {line})")
            }
        };
        ReadError {
            message: format!("cannot read {what} {}: {reason}", path.display()),
        }
    })
}

/// Reads a snapshot file's bytes (`-` for standard input). A UTF-8
/// byte-order mark is blanked (three spaces, so every offset stays right):
/// RFC 8259 lets a parser ignore it, and Windows tools write it.
pub fn snapshot(path: &Path) -> Result<Vec<u8>, ReadError> {
    let bytes = document(path, "snapshot")?;
    if path.as_os_str() == "-" && bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadError {
            message: format!(
                "cannot read snapshot {STDIN_NAME}: standard input is empty; pipe a snapshot \
                 in (`rcaudit check - < snapshot.json`) or name its file"
            ),
        });
    }
    Ok(bytes)
}

/// Reads a JSON document (a snapshot or a report); see [`snapshot`].
pub fn document(path: &Path, what: &str) -> Result<Vec<u8>, ReadError> {
    let mut bytes = read_bounded(path, what, Kind::Document)?;
    if let Some(bom) = bytes.get_mut(..3).filter(|b| *b == b"\xEF\xBB\xBF") {
        bom.fill(b' ');
    }
    if let Some(encoding) = encoding_of(&bytes) {
        return Err(ReadError {
            message: format!(
                "cannot read {what} {}: it is {encoding} text; rcaudit reads UTF-8",
                path.display()
            ),
        });
    }
    Ok(bytes)
}

/// Reads a UTF-8 YAML text file (a config, waivers).
pub fn text(path: &Path, what: &str) -> Result<String, ReadError> {
    let bytes = read_bounded(path, what, Kind::Yaml)?;
    utf8(path, what, bytes)
}

/// Reads a JSON document as text (a baseline report).
pub fn document_text(path: &Path, what: &str) -> Result<String, ReadError> {
    let bytes = document(path, what)?;
    utf8(path, what, bytes)
}

/// Reads rule files from a file or a folder (recursively, `*.yaml` and
/// `*.yml`, in path order).
pub fn rule_files(path: &Path) -> Result<Vec<RuleFile>, ReadError> {
    let metadata = std::fs::metadata(path).map_err(|e| describe(path, "rules", &e))?;
    let mut paths = Vec::new();
    if metadata.is_dir() {
        collect(path, &mut paths)?;
        paths.sort();
        if paths.is_empty() {
            return Err(ReadError {
                message: format!("no rule files (*.yaml, *.yml) in {}", path.display()),
            });
        }
    } else {
        paths.push(path.to_path_buf());
    }
    let pack = if metadata.is_dir() {
        path.file_name()
            .map_or_else(|| "rules".to_owned(), |n| n.to_string_lossy().into_owned())
    } else {
        "rules".to_owned()
    };
    paths
        .into_iter()
        .map(|p| {
            let text = text(&p, "rule file")?;
            Ok(RuleFile {
                name: p.display().to_string(),
                text,
                pack: pack.clone(),
            })
        })
        .collect()
}

/// Folders below a `--rules` folder that are searched (links to folders
/// are followed, so a cycle of links must end somewhere).
const MAX_RULES_DEPTH: usize = 16;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    collect_below(dir, out, 0)
}

fn collect_below(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), ReadError> {
    if depth > MAX_RULES_DEPTH {
        return Err(ReadError {
            message: format!(
                "cannot read rules folder {}: folders nest deeper than {MAX_RULES_DEPTH} levels (a cycle of links?)",
                dir.display()
            ),
        });
    }
    let entries = std::fs::read_dir(dir).map_err(|e| describe(dir, "rules folder", &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| describe(dir, "rules folder", &e))?;
        let path = entry.path();
        // Follows links: a linked folder of rules is read, never skipped.
        let kind = std::fs::metadata(&path).map_err(|e| describe(&path, "rules", &e))?;
        if kind.is_dir() {
            collect_below(&path, out, depth + 1)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether two paths name the same file (after links), for refusing to
/// write an output over an input.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// Whether writing `output` would write `input`: the same file (after
/// links), or, for a file not yet there, the same name in the same folder.
pub fn same_destination(output: &Path, input: &Path) -> bool {
    if same_file(output, input) {
        return true;
    }
    let normal = |p: &Path| {
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Some(std::fs::canonicalize(parent).ok()?.join(p.file_name()?))
    };
    normal(output).is_some_and(|o| Some(o) == normal(input))
}

/// Refuses an output path that is one of the run's input files (`-o
/// snapshot.json` would replace the snapshot with its report), or another
/// output of the same run (`audit --save X -o X`). Devices such as
/// `/dev/stdout` are neither.
pub fn refuse_overwriting(output: &Path, inputs: &[(&Path, &str)]) -> Result<(), ReadError> {
    if std::fs::metadata(output).is_ok_and(|m| !m.is_file()) {
        return Ok(());
    }
    let read = READ.lock().map(|r| r.clone()).unwrap_or_default();
    let read = read.iter().map(|p| (p.as_path(), "file"));
    match inputs
        .iter()
        .copied()
        .chain(read)
        .find(|(input, _)| same_destination(output, input))
    {
        Some((_, what)) => Err(ReadError {
            message: format!(
                "refusing to write {}: it is the {what} this run reads or writes; choose another output file",
                output.display()
            ),
        }),
        None => Ok(()),
    }
}

/// Where a write to `path` really goes: the target of a symbolic link
/// (rewriting the link's target, not replacing the link), and whether that
/// is a device or a pipe, which are written in place, never replaced.
enum Target {
    /// A regular file, or a new one: written atomically.
    File(PathBuf),
    /// A device, a pipe or a socket (`/dev/null`, `/dev/stdout`, a FIFO).
    Stream(PathBuf),
}

fn target(path: &Path) -> Target {
    let resolved = if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        // A link whose target does not exist yet is followed too: the
        // target is created, the link stays.
        std::fs::canonicalize(path).unwrap_or_else(|_| {
            std::fs::read_link(path).map_or_else(
                |_| path.to_path_buf(),
                |to| path.parent().map_or(to.clone(), |dir| dir.join(&to)),
            )
        })
    } else {
        path.to_path_buf()
    };
    match std::fs::metadata(&resolved) {
        Ok(m) if !m.is_file() && !m.is_dir() => Target::Stream(resolved),
        _ => Target::File(resolved),
    }
}

fn write_error(path: &Path, e: &std::io::Error) -> ReadError {
    ReadError {
        message: format!(
            "cannot write {}: {}",
            path.display(),
            match e.kind() {
                std::io::ErrorKind::NotFound => "no such folder".to_owned(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
                _ => e.to_string(),
            }
        ),
    }
}

/// Checks, before long work, that [`write_atomic`] can write `path`: not a
/// folder, in a folder that exists and takes new files (a probe file is
/// created and removed), or a device or pipe that opens for writing.
pub fn check_writable(path: &Path) -> Result<(), ReadError> {
    let fail = |reason: &str| ReadError {
        message: format!("cannot write {}: {reason}", path.display()),
    };
    if path.is_dir() {
        return Err(fail("it is a folder"));
    }
    refuse_overwriting(path, &[])?;
    let file = match target(path) {
        Target::Stream(_) => {
            // Opening a FIFO for writing waits for a reader: take the
            // stream's word for it when the report is written.
            return Ok(());
        }
        Target::File(file) => file,
    };
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(fail("no such folder"));
    }
    // A probe file of a fresh random name, created exclusively (never
    // through a link someone planted) and removed when dropped.
    match temporary(dir, &file, ".probe") {
        Ok(probe) => {
            drop(probe);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            Err(fail("permission denied"))
        }
        Err(e) => Err(fail(&e.to_string())),
    }
}

/// Checks, before long work, that [`append`] can write `path`: an existing
/// file that opens for appending (nothing is written), or a new one
/// [`check_writable`] accepts.
pub fn check_appendable(path: &Path) -> Result<(), ReadError> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        refuse_overwriting(path, &[])?;
        return std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map(drop)
            .map_err(|e| write_error(path, &e));
    }
    check_writable(path)
}

/// Appends `text` to `path` (created if missing), as the shell's `>>`
/// does: for files others write to as well, such as GitHub's
/// `$GITHUB_STEP_SUMMARY`. Not atomic: the text is one write at the end.
pub fn append(path: &Path, text: &str) -> Result<(), ReadError> {
    use std::io::Write as _;
    refuse_overwriting(path, &[])?;
    if path.is_dir() {
        return Err(ReadError {
            message: format!("cannot write {}: it is a folder", path.display()),
        });
    }
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .and_then(|mut out| {
            out.write_all(text.as_bytes())?;
            out.flush()
        })
        .map_err(|e| write_error(path, &e))
}

/// Writes `text` to `path` atomically: a temporary file beside it, then a
/// rename, so readers never see a partial file and a failure leaves none.
/// A symbolic link's target is written (the link stays); a device or a
/// pipe (`/dev/null`, a FIFO) is written in place, never replaced by a
/// file.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), ReadError> {
    refuse_overwriting(path, &[])?;
    rewrite_atomic(path, text)
}

/// [`write_atomic`] for the one command that edits a file it read
/// (`rcaudit waive` adds to the config): no refusal of the run's inputs.
pub fn rewrite_atomic(path: &Path, text: &str) -> Result<(), ReadError> {
    use std::io::Write as _;
    if path.is_dir() {
        return Err(ReadError {
            message: format!("cannot write {}: it is a folder", path.display()),
        });
    }
    let file = match target(path) {
        Target::Stream(stream) => {
            let result = std::fs::OpenOptions::new()
                .write(true)
                .open(&stream)
                .and_then(|mut out| {
                    out.write_all(text.as_bytes())?;
                    out.flush()
                });
            return result.map_err(|e| write_error(path, &e));
        }
        Target::File(file) => file,
    };
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // The temporary file has a random name and is created exclusively, so
    // nobody can plant a link at its name in a shared folder to have
    // another file overwritten; it is removed if anything fails.
    let result = (|| {
        let mut out = temporary(dir, &file, ".tmp")?;
        out.write_all(text.as_bytes())?;
        out.as_file().sync_all()?;
        out.persist(&file).map(drop).map_err(|e| e.error)
    })();
    result.map_err(|e| write_error(path, &e))
}

/// A new file beside `file` in `dir`, named `.NAME.RANDOM SUFFIX`, created
/// exclusively (`O_EXCL`), with the permissions a plain create would give
/// (0666 less the umask, not tempfile's 0600), and deleted on drop unless
/// persisted.
fn temporary(dir: &Path, file: &Path, suffix: &str) -> std::io::Result<tempfile::NamedTempFile> {
    let name = file
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_and_without_units() {
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("3 kb"), Ok(3 << 10));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999T").is_err());
        assert_eq!(size_in_words(2 << 30), "2 GiB");
        assert_eq!(size_in_words(1000), "1000 bytes");
    }

    /// The temporary file is never opened through a name someone could
    /// plant a link at: before, it was `.NAME.PID.tmp`, created following
    /// links, so a link there made the write land in another file.
    #[cfg(unix)]
    #[test]
    fn a_link_planted_at_a_guessable_temporary_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep me").unwrap_or_else(|e| panic!("{e}"));
        let out = dir.path().join("out.json");
        let planted = dir
            .path()
            .join(format!(".out.json.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap_or_else(|e| panic!("{e}"));
        check_writable(&out).unwrap_or_else(|e| panic!("{}", e.message));
        write_atomic(&out, "{}").unwrap_or_else(|e| panic!("{}", e.message));
        write_atomic(&out, "{\"a\": 1}").unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap_or_default(),
            "keep me"
        );
        assert_eq!(
            std::fs::read_to_string(&out).unwrap_or_default(),
            "{\"a\": 1}"
        );
        // Nothing is left behind but the output, the victim and the link.
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut expected = vec![
            format!(".out.json.{}.tmp", std::process::id()),
            "out.json".to_owned(),
            "victim.txt".to_owned(),
        ];
        expected.sort();
        assert_eq!(names, expected);
    }

    #[test]
    fn encodings_are_named_by_their_first_bytes() {
        assert_eq!(encoding_of(b"\xFF\xFE{\0"), Some("UTF-16LE"));
        assert_eq!(encoding_of(b"\0{\0\""), Some("UTF-16BE"));
        assert_eq!(encoding_of(b"\0\xC3\x17\0"), None);
        assert_eq!(encoding_of(b"{\0\0\0"), Some("UTF-32LE"));
        assert_eq!(encoding_of(b"{\"a\""), None);
        assert_eq!(encoding_of(b"\0\0\0\0"), None);
    }
}
