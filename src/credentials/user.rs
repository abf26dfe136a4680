//! Dropping from root to the agent's own user before `interlock run` execs the agent:
//! the hardened recipe, where the agent owns no credentials and cannot write
//! interlock's rules, state or audit log.

use std::ffi::CString;

use super::CredError;

/// The account a session becomes.
pub type User = crate::account::Account;

/// Looks a user up by name.
pub fn lookup(name: &str) -> Result<User, CredError> {
    crate::account::by_name(name)
        .map_err(|err| CredError::Lookup {
            name: name.to_owned(),
            err,
        })?
        .ok_or_else(|| CredError::UnknownUser(name.to_owned()))
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
