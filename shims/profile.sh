# interlock: put the shims first on PATH so guarded tools are judged before they run.
# Installed as /etc/profile.d/interlock.sh by install.sh (as root). Idempotent: sourcing
# it twice does not add the directory twice.
INTERLOCK_SHIMS=@SHIMS_DIR@
case ":${PATH}:" in
  ":${INTERLOCK_SHIMS}:"*) ;;
  *) PATH="${INTERLOCK_SHIMS}:${PATH}"; export PATH ;;
esac
unset INTERLOCK_SHIMS
