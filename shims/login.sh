# interlock: read by bash through BASH_ENV when interlock's shell mode starts a login
# shell (`bash -lc`, `bash -c -l`): it runs after the profile files, which on Debian
# reset PATH, and puts interlock's shims first again. The shell mode sets
# INTERLOCK_LOGIN_SHIMS to the shims directory, and INTERLOCK_BASH_ENV to the caller's
# own BASH_ENV when there was one, which is then restored and read as bash would have.
if [ -n "${INTERLOCK_LOGIN_SHIMS-}" ]; then
  case ":${PATH}:" in
    ":${INTERLOCK_LOGIN_SHIMS}:"*) ;;
    *) PATH="${INTERLOCK_LOGIN_SHIMS}:${PATH}"; export PATH ;;
  esac
fi
unset INTERLOCK_LOGIN_SHIMS
if [ -n "${INTERLOCK_BASH_ENV-}" ]; then
  BASH_ENV=$INTERLOCK_BASH_ENV
  export BASH_ENV
  unset INTERLOCK_BASH_ENV
  . "$BASH_ENV"
else
  unset BASH_ENV
fi
