//! The user database (`passwd`), read through the reentrant libc calls: who the real
//! user is for audit lines and approvals, and the account `interlock run --user`
//! becomes.

use std::ffi::{CStr, CString, c_char, c_int};
use std::path::PathBuf;

/// One passwd entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
    pub home: PathBuf,
    pub shell: PathBuf,
}

/// A first guess at the buffer the lookup needs; it grows on ERANGE.
const PW_BUF_START: usize = 1024;
/// Past this, an entry is not a real user's.
const PW_BUF_MAX: usize = 1 << 20;

/// The real user id of this process: who started it, whatever it was set up to run as.
pub fn real_uid() -> libc::uid_t {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
}

/// The entry for `uid`; `Ok(None)` when there is none.
pub fn by_uid(uid: libc::uid_t) -> std::io::Result<Option<Account>> {
    lookup(|pw, buf, len, result| {
        // SAFETY: the pointers come from `lookup`, valid for this call.
        unsafe { libc::getpwuid_r(uid, pw, buf, len, result) }
    })
}

/// The entry named `name`; `Ok(None)` when there is none (a name with a NUL byte cannot
/// name one).
pub fn by_name(name: &str) -> std::io::Result<Option<Account>> {
    let Ok(cname) = CString::new(name) else {
        return Ok(None);
    };
    lookup(|pw, buf, len, result| {
        // SAFETY: `cname` is a valid C string; the other pointers come from `lookup`.
        unsafe { libc::getpwnam_r(cname.as_ptr(), pw, buf, len, result) }
    })
}

/// The name of `uid`, when it has one.
pub fn name_of(uid: libc::uid_t) -> Option<String> {
    by_uid(uid).ok().flatten().map(|a| a.name)
}

/// Runs a `getpw*_r` call with a buffer that grows until the entry fits.
fn lookup(
    mut call: impl FnMut(*mut libc::passwd, *mut c_char, usize, *mut *mut libc::passwd) -> c_int,
) -> std::io::Result<Option<Account>> {
    let mut size = PW_BUF_START;
    loop {
        let mut buf = vec![0 as c_char; size];
        // SAFETY: a zeroed passwd is a valid out-parameter; the call fills it.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = call(&mut pw, buf.as_mut_ptr(), buf.len(), &mut result);
        if rc == libc::ERANGE && size < PW_BUF_MAX {
            size *= 2;
            continue;
        }
        if rc != 0 {
            return Err(std::io::Error::from_raw_os_error(rc));
        }
        if result.is_null() {
            return Ok(None);
        }
        let text = |p: *const c_char| {
            if p.is_null() {
                String::new()
            } else {
                // SAFETY: on success the entry's strings are NUL-terminated and live in
                // `buf`, which is still alive.
                unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
            }
        };
        return Ok(Some(Account {
            name: text(pw.pw_name),
            uid: pw.pw_uid,
            gid: pw.pw_gid,
            home: PathBuf::from(text(pw.pw_dir)),
            shell: PathBuf::from(text(pw.pw_shell)),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_found_by_name_and_by_uid() {
        let root = by_name("root").unwrap().unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        assert_eq!(by_uid(0).unwrap().unwrap(), root);
        assert_eq!(name_of(0).as_deref(), Some("root"));
    }

    #[test]
    fn nonsense_names_are_not_found() {
        assert_eq!(by_name("no-such-user-interlock-test").unwrap(), None);
        assert_eq!(by_name("nul\0name").unwrap(), None);
    }
}
