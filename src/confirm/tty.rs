//! The terminal prompt. It talks to `/dev/tty` — the controlling terminal, where a human
//! sits — never to stdin or stdout, which belong to whoever started the command (the
//! agent). The answer is a random code shown only on the terminal, so the agent cannot
//! type it ahead of time; input typed before the prompt appeared is thrown away.
//!
//! Ctrl-C makes the terminal send SIGINT to us. SIGINT is blocked except inside
//! `ppoll`, with a handler that only sets a flag, so a Ctrl-C at any moment ends the
//! wait as a "no" instead of killing the process half-way.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::ContextLines;
use super::Subject;
use crate::entry::act::Ask;

const DEV_TTY: &CStr = c"/dev/tty";
/// Length of the code to type: 31^5 ≈ 28 million possibilities for one try.
const CODE_LEN: usize = 5;
/// An answer longer than this is not a code; stop reading.
const MAX_ANSWER: usize = 256;

pub struct Tty {
    fd: OwnedFd,
}

/// How reading an answer ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    Line(String),
    TimedOut,
    Interrupted,
    Closed,
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// SIGINT caught into [`INTERRUPTED`] and blocked outside `ppoll`; restored on drop.
struct SigintGuard {
    old_action: libc::sigaction,
    old_mask: libc::sigset_t,
}

impl SigintGuard {
    fn install() -> SigintGuard {
        INTERRUPTED.store(false, Ordering::SeqCst);
        // SAFETY: plain libc calls on zeroed, owned structs; the handler only touches an
        // atomic, which is async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut action.sa_mask);
            let mut old_action: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGINT, &action, &mut old_action);
            let mut block: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut block);
            libc::sigaddset(&mut block, libc::SIGINT);
            let mut old_mask: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old_mask);
            SigintGuard {
                old_action,
                old_mask,
            }
        }
    }

    /// The mask to wait with: the caller's, with SIGINT let through.
    fn wait_mask(&self) -> libc::sigset_t {
        let mut m = self.old_mask;
        // SAFETY: `m` is a valid, initialised sigset_t.
        unsafe { libc::sigdelset(&mut m, libc::SIGINT) };
        m
    }
}

impl Drop for SigintGuard {
    fn drop(&mut self) {
        // SAFETY: restoring the mask and handler saved in `install`.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.old_mask, std::ptr::null_mut());
            libc::sigaction(libc::SIGINT, &self.old_action, std::ptr::null_mut());
        }
    }
}

impl Tty {
    /// The controlling terminal, if this process has one.
    pub fn open() -> Option<Tty> {
        // SAFETY: open with a valid C string; the result is checked.
        let fd = unsafe {
            libc::open(
                DEV_TTY.as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return None;
        }
        // SAFETY: `fd` was just opened and is owned by nobody else.
        Some(Tty {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// The controlling terminal, if this process may ask a question on it now: only in
    /// the foreground, since a background process that reads the terminal is stopped
    /// (SIGTTIN) and would hang the agent instead of going to the approvals queue.
    pub fn open_foreground() -> Option<Tty> {
        let t = Tty::open()?;
        // SAFETY: tcgetpgrp on an owned fd, getpgrp cannot fail.
        let (fg, me) = unsafe { (libc::tcgetpgrp(t.fd.as_raw_fd()), libc::getpgrp()) };
        (fg == me).then_some(t)
    }

    pub fn write(&self, s: &str) {
        let mut b = s.as_bytes();
        while !b.is_empty() {
            // SAFETY: writing from a live slice to an owned fd.
            let n = unsafe { libc::write(self.fd.as_raw_fd(), b.as_ptr().cast(), b.len()) };
            if n < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return;
            }
            b = &b[n as usize..];
        }
    }

    /// Throws away anything typed (or injected) before the question was shown.
    pub fn discard_typeahead(&self) {
        // SAFETY: tcflush on an owned terminal fd.
        unsafe { libc::tcflush(self.fd.as_raw_fd(), libc::TCIFLUSH) };
    }

    /// One line from the terminal, within `timeout`; Ctrl-C ends it as [`Answer::Interrupted`].
    pub fn read_line(&self, timeout: Duration) -> Answer {
        let guard = SigintGuard::install();
        let mask = guard.wait_mask();
        let deadline = Instant::now() + timeout;
        let mut line = Vec::new();
        loop {
            if INTERRUPTED.load(Ordering::SeqCst) {
                return Answer::Interrupted;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Answer::TimedOut;
            }
            let ts = libc::timespec {
                tv_sec: left.as_secs() as libc::time_t,
                tv_nsec: left.subsec_nanos() as libc::c_long,
            };
            let mut pfd = libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd, a valid timespec and sigset.
            let r = unsafe { libc::ppoll(&mut pfd, 1, &ts, &mask) };
            if r < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Answer::Closed;
            }
            if r == 0 {
                continue;
            }
            let mut buf = [0u8; 64];
            // SAFETY: reading into a live buffer from an owned fd.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Answer::Closed;
            }
            if n == 0 {
                return Answer::Closed;
            }
            let got = &buf[..n as usize];
            if let Some(end) = got.iter().position(|b| *b == b'\n') {
                line.extend_from_slice(&got[..end]);
                return Answer::Line(String::from_utf8_lossy(&line).trim().to_owned());
            }
            line.extend_from_slice(got);
            if line.len() > MAX_ANSWER {
                return Answer::Line(String::from_utf8_lossy(&line).trim().to_owned());
            }
        }
    }
}

/// How asking for a code ended, when it was not typed.
#[derive(Debug, PartialEq, Eq)]
pub enum NotTyped {
    NoCode(String),
    Wrong,
    TimedOut(u64),
    Interrupted,
    Closed,
}

impl NotTyped {
    /// Why, for the agent's message.
    pub fn why(&self) -> String {
        match self {
            NotTyped::NoCode(e) => format!("no code could be made ({e})"),
            NotTyped::Wrong => {
                "the answer typed at the terminal was not the code shown there".into()
            }
            NotTyped::TimedOut(secs) => format!("nobody answered at the terminal within {secs} s"),
            NotTyped::Interrupted => "the human at the terminal pressed Ctrl-C".into(),
            NotTyped::Closed => "the terminal closed before an answer".into(),
        }
    }
}

impl Tty {
    /// The device number of the terminal behind this fd. Not `fstat`'s `st_rdev`: that
    /// is `/dev/tty`'s own number, the same for every terminal; `TIOCGDEV` asks the
    /// terminal layer which one it really is.
    pub fn device(&self) -> Option<u64> {
        let mut dev: libc::c_uint = 0;
        // SAFETY: TIOCGDEV writes one unsigned int through the pointer.
        let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::TIOCGDEV, &mut dev) };
        (r == 0).then_some(u64::from(dev))
    }

    /// Shows `text`, then asks for a random code that appears only here: `to_do` is what
    /// typing it does ("run the command", "approve request ID"). Whatever was typed
    /// before the question appeared is thrown away, so a guessed answer cannot be
    /// queued up ahead of it.
    pub fn ask_code(&self, text: &str, to_do: &str, timeout: Duration) -> Result<(), NotTyped> {
        let code = super::random_code(CODE_LEN).map_err(|e| NotTyped::NoCode(e.to_string()))?;
        let secs = timeout.as_secs();
        self.discard_typeahead();
        self.write(&format!(
            "{text}This question is on your terminal; the agent cannot answer it.\n\
             To {to_do}, type {code} and press Enter. Anything else, Ctrl-C, or {secs} s without\n\
             an answer refuses it.\n> "
        ));
        match self.read_line(timeout) {
            Answer::Line(l) if l.eq_ignore_ascii_case(&code) => Ok(()),
            Answer::Line(_) => {
                self.write("interlock: that is not the code; refused.\n");
                Err(NotTyped::Wrong)
            }
            Answer::TimedOut => {
                self.write(&format!("\ninterlock: no answer in {secs} s; refused.\n"));
                Err(NotTyped::TimedOut(secs))
            }
            Answer::Interrupted => {
                self.write("\ninterlock: Ctrl-C; refused.\n");
                Err(NotTyped::Interrupted)
            }
            Answer::Closed => Err(NotTyped::Closed),
        }
    }
}

/// Shows the request on the terminal and asks for the code. `Err` says why it was not
/// approved, for the agent's message.
pub fn confirm(
    tty: &Tty,
    ask: &Ask,
    subject: &Subject,
    context: &ContextLines,
    timeout: Duration,
) -> Result<(), String> {
    let mut text = String::from("\n── interlock: a command needs your approval ──\n");
    text.push_str(&format!("  rule:     {} ({})\n", ask.rule, ask.location));
    text.push_str(&format!("  reason:   {}\n", ask.reason));
    text.push_str(&format!("  command:  {}\n", subject.shown));
    if subject.via == super::Via::Shell && ask.shown != subject.shown {
        text.push_str(&format!("  matched:  {}\n", ask.shown));
    }
    for (label, value) in context {
        text.push_str(&format!("  {label}: {value}\n"));
    }
    text.push_str(&format!("  in:       {}\n", subject.cwd.display()));
    match tty.ask_code(&text, "run the command", timeout) {
        Ok(()) => {
            tty.write("interlock: approved; running it.\n");
            Ok(())
        }
        Err(e) => {
            if e != NotTyped::Closed {
                tty.write("interlock: nothing was run.\n");
            }
            Err(e.why())
        }
    }
}
