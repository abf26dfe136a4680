//! The log file itself: opened for appending, locked with flock(2) while a line is
//! chained and written, so concurrent writers neither interleave nor fork the chain.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use super::AuditError;
use super::chain::{self, GENESIS, Record};

/// How long a writer waits for the lock before giving up (and the command not running).
/// Writers hold it for one read of the tail and one write, so this is very generous.
const LOCK_WAIT: Duration = Duration::from_secs(5);
/// How much of the tail is read at a time when looking for the last line.
const TAIL_CHUNK: u64 = 4096;

pub fn open_append(path: &Path) -> Result<File, AuditError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        crate::env::create_private_dir(dir).map_err(|source| AuditError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    }
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| AuditError::Open {
            path: path.to_owned(),
            source,
        })
}

/// An exclusive flock held until dropped.
pub struct Locked<'a> {
    file: &'a File,
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // SAFETY: the fd is open for as long as `file` is borrowed.
        unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// Takes the exclusive lock, waiting at most [`LOCK_WAIT`]: a writer stuck forever
/// must not hang every guarded command behind it.
pub fn lock<'a>(file: &'a File, path: &Path) -> Result<Locked<'a>, AuditError> {
    match lock_exclusive(file, LOCK_WAIT) {
        Ok(()) => Ok(Locked { file }),
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Err(AuditError::LockTimeout {
            path: path.to_owned(),
            waited_ms: LOCK_WAIT.as_millis() as u64,
        }),
        Err(source) => Err(AuditError::Lock {
            path: path.to_owned(),
            source,
        }),
    }
}

/// flock(LOCK_EX) with a deadline. Uncontended, it is one non-blocking call. Contended,
/// a helper thread makes the blocking call, so waiters queue in the kernel instead of
/// polling (pollers starve under load: hundreds of concurrent writers on a busy
/// machine). On timeout the helper is left waiting on its duplicate descriptor; if it
/// gets the lock after all, it closes the descriptor at once, which releases it.
pub(crate) fn lock_exclusive(file: &File, wait: Duration) -> std::io::Result<()> {
    // SAFETY: the fd is valid for the borrow; LOCK_NB makes the call return at once.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    if !matches!(
        e.raw_os_error(),
        Some(libc::EWOULDBLOCK) | Some(libc::EINTR)
    ) {
        return Err(e);
    }
    let dup = file.try_clone()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = loop {
            // SAFETY: `dup` owns its descriptor for the life of this thread.
            if unsafe { libc::flock(dup.as_raw_fd(), libc::LOCK_EX) } == 0 {
                break Ok(());
            }
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINTR) {
                break Err(e);
            }
        };
        // A flock belongs to the open file description, which the caller's descriptor
        // shares: closing `dup` here does not release it.
        let _ = tx.send(result);
    });
    match rx.recv_timeout(wait) {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "still locked by another process after {} ms",
                wait.as_millis()
            ),
        )),
    }
}

/// The last line of the file (without its newline), and whether the file ends with a
/// newline. Reads backwards from the end in chunks: never the whole file.
pub fn last_line(file: &File) -> std::io::Result<(Option<Vec<u8>>, bool)> {
    let mut f = file;
    let len = f.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok((None, true));
    }
    let mut tail: Vec<u8> = Vec::new();
    let mut pos = len;
    let mut ends_with_newline = None;
    loop {
        let start = pos.saturating_sub(TAIL_CHUNK);
        let mut chunk = vec![0u8; (pos - start) as usize];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&tail);
        tail = chunk;
        pos = start;
        let ends = *ends_with_newline.get_or_insert(tail.last() == Some(&b'\n'));
        let body = if ends {
            &tail[..tail.len() - 1]
        } else {
            &tail[..]
        };
        if let Some(i) = body.iter().rposition(|b| *b == b'\n') {
            return Ok((Some(body[i + 1..].to_vec()), ends));
        }
        if pos == 0 {
            return Ok((Some(body.to_vec()), ends));
        }
    }
}

/// Under the lock: reads the last line, builds the next record from it with `make`,
/// and appends it with a single write(2).
pub fn append_chained(
    file: &File,
    path: &Path,
    fsync: bool,
    make: impl FnOnce(u64, String) -> Record,
) -> Result<Record, AuditError> {
    let _guard = lock(file, path)?;
    let read_err = |source| AuditError::Read {
        path: path.to_owned(),
        source,
    };
    let (last, ends_with_newline) = last_line(file).map_err(read_err)?;
    let (seq, prev) = match &last {
        None => (1, GENESIS.to_owned()),
        Some(line) => {
            // A last line that is not a record (a torn write, an edit) still chains by
            // its bytes; `--verify` reports it.
            let seq = serde_json::from_slice::<Record>(line).map_or(0, |r| r.seq) + 1;
            (seq, chain::link(line))
        }
    };
    // Numbering goes on from the highest line ever written, so lines cut from the end
    // leave a gap in the sequence that later lines keep, and `--verify` finds.
    let head = head_path(path);
    let seq = match read_head(&head) {
        Some((h, _)) if h >= seq => h + 1,
        _ => seq,
    };
    let record = make(seq, prev);
    let mut buf = Vec::with_capacity(512);
    if !ends_with_newline {
        buf.push(b'\n');
    }
    buf.extend_from_slice(record.to_line().as_bytes());
    buf.push(b'\n');
    let write_err = |source| AuditError::Write {
        path: path.to_owned(),
        source,
    };
    let mut f = file;
    let n = f.write(&buf).map_err(write_err)?;
    if n != buf.len() {
        // O_APPEND writes of a few hundred bytes to a regular file are not split in
        // practice; if one is, finish it while still holding the lock.
        f.write_all(&buf[n..]).map_err(write_err)?;
    }
    if fsync {
        file.sync_data().map_err(write_err)?;
    }
    let line = &buf[usize::from(!ends_with_newline)..buf.len() - 1];
    write_head(&head, record.seq, &chain::link(line)).map_err(|source| AuditError::Write {
        path: head.clone(),
        source,
    })?;
    Ok(record)
}

/// The head record beside the log: the sequence number and hash of the last line
/// written. The chain proves each line follows the one before; only something outside
/// the file can say lines were cut from its end.
pub fn head_path(log: &Path) -> std::path::PathBuf {
    let mut name = log.file_name().unwrap_or_default().to_os_string();
    name.push(".head");
    log.with_file_name(name)
}

pub fn read_head(head: &Path) -> Option<(u64, String)> {
    let text = std::fs::read_to_string(head).ok()?;
    let (seq, hash) = text.trim().split_once(' ')?;
    Some((seq.parse().ok()?, hash.to_owned()))
}

/// Rewritten in place with one `pwrite`: the record has a fixed width (the number
/// padded), so no truncation is needed and a reader never sees it half empty.
fn write_head(head: &Path, seq: u64, hash: &str) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(head)?;
    f.write_all_at(format!("{seq:020} {hash}\n").as_bytes(), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_line_reads_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("log");
        let long = "x".repeat(10_000);
        std::fs::write(&p, format!("first\n{long}\n")).unwrap();
        let f = File::open(&p).unwrap();
        let (l, nl) = last_line(&f).unwrap();
        assert_eq!(l.unwrap(), long.as_bytes());
        assert!(nl);
        std::fs::write(&p, "a\nb\ntorn").unwrap();
        let (l, nl) = last_line(&File::open(&p).unwrap()).unwrap();
        assert_eq!(l.unwrap(), b"torn");
        assert!(!nl);
        std::fs::write(&p, "only\n").unwrap();
        let (l, _) = last_line(&File::open(&p).unwrap()).unwrap();
        assert_eq!(l.unwrap(), b"only");
    }
}
