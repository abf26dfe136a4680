//! Dropping from root to the agent's own user before `interlock run` execs the agent:
//! the hardened recipe, where the agent owns no credentials and cannot write
//! interlock's rules, state or audit log.

use std::ffi::{CStr, CString};
use std::path::PathBuf;

use super::CredError;

/// The fields of a passwd entry a session needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
    pub home: PathBuf,
}

/// A first guess at the buffer getpwnam_r needs; it grows on ERANGE.
const PW_BUF_START: usize = 1024;
/// Past this, an entry is not a real user's.
const PW_BUF_MAX: usize = 1 << 20;

/// Looks a user up by name.
pub fn lookup(name: &str) -> Result<User, CredError> {
    let unknown = || CredError::UnknownUser(name.to_owned());
    let cname = CString::new(name).map_err(|_| unknown())?;
    let mut size = PW_BUF_START;
    loop {
        let mut buf = vec![0 as libc::c_char; size];
        // SAFETY: a zeroed passwd is a valid out-parameter; getpwnam_r fills it.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call, and `buf` outlives the use of
        // the strings getpwnam_r points into it.
        let rc = unsafe {
            libc::getpwnam_r(
                cname.as_ptr(),
                &mut pw,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        if rc == libc::ERANGE && size < PW_BUF_MAX {
            size *= 2;
            continue;
        }
        if rc != 0 {
            return Err(CredError::Lookup {
                name: name.to_owned(),
                err: std::io::Error::from_raw_os_error(rc),
            });
        }
        if result.is_null() {
            return Err(unknown());
        }
        // SAFETY: getpwnam_r succeeded, so pw_dir points at a NUL-terminated string
        // inside `buf`, which is still alive.
        let home = unsafe { CStr::from_ptr(pw.pw_dir) };
        return Ok(User {
            name: name.to_owned(),
            uid: pw.pw_uid,
            gid: pw.pw_gid,
            home: PathBuf::from(home.to_string_lossy().into_owned()),
        });
    }
}

/// Checks that `--user` can work at all: interlock runs as root and the user exists.
pub fn prepare(name: &str) -> Result<User, CredError> {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if euid != 0 {
        return Err(CredError::NotRoot(euid));
    }
    lookup(name)
}

fn check(name: &str, step: &'static str, rc: libc::c_int) -> Result<(), CredError> {
    if rc == 0 {
        Ok(())
    } else {
        Err(CredError::Drop {
            name: name.to_owned(),
            step,
            err: std::io::Error::last_os_error(),
        })
    }
}

/// Becomes `user`: supplementary groups, then gid, then uid (each later step needs the
/// privilege the earlier ones still have), then proves root cannot be regained.
pub fn become_user(user: &User) -> Result<(), CredError> {
    let name = &user.name;
    let cname = CString::new(name.as_str()).map_err(|_| CredError::UnknownUser(name.clone()))?;
    // SAFETY: `cname` is a valid C string; the ids come from the passwd entry.
    unsafe {
        check(
            name,
            "set its supplementary groups",
            libc::initgroups(cname.as_ptr(), user.gid as _),
        )?;
        check(name, "set its group id", libc::setgid(user.gid))?;
        check(name, "set its user id", libc::setuid(user.uid))?;
    }
    if user.uid != 0 {
        // SAFETY: setuid(0) only changes this process, and must fail now.
        if unsafe { libc::setuid(0) } == 0 {
            return Err(CredError::RegainedRoot(name.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_found_and_nonsense_is_not() {
        let root = lookup("root").unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        assert!(matches!(
            lookup("no-such-user-interlock-test"),
            Err(CredError::UnknownUser(_))
        ));
        assert!(matches!(
            lookup("nul\0name"),
            Err(CredError::UnknownUser(_))
        ));
    }
}
