#!/bin/sh
# Installs interlock: the binary, the interlock-bash name, and a shims directory with a
# symlink per guarded tool. Safe to run again. POSIX sh.
#
#   ./install.sh [--prefix DIR] [--no-build BINARY] [--profile|--no-profile] [--uninstall]
#
# PREFIX defaults to ~/.local (/usr/local as root). As root it also writes
# /etc/profile.d/interlock.sh so login shells put the shims first on PATH
# (--no-profile skips that, e.g. for a test install into a temporary prefix;
# --profile writes it even when not root).
#
# DESTDIR, when set in the environment, is prepended to every path written (an image
# or a test root being assembled); the files still name PREFIX, where they will run.
set -eu

die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

# Installing, upgrading or removing interlock is a human's job: an agent inside a
# guarded session may not change its own guard.
if [ -n "${INTERLOCK_SESSION:-}" ]; then
  die "refusing to run inside an interlock session (INTERLOCK_SESSION is set): the agent may not install, replace or remove its own guard; run this in your own terminal"
fi

# The person running this may have interlock's shims first on PATH (as this script
# tells them to): its own rm, mv and ln would then be judged as an agent's, and
# replacing interlock's files is exactly what self-protection refuses. Use the real
# tools. (An agent inside a guarded session is refused `./install.sh` itself.)
clean_path=
old_ifs=$IFS
IFS=:
for d in $PATH; do
  case $d in
    */lib/interlock/shims|*/lib/interlock/shims/) ;;
    *) clean_path=${clean_path:+$clean_path:}$d ;;
  esac
done
IFS=$old_ifs
PATH=${clean_path:-/usr/bin:/bin}
export PATH

here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" = 0 ]; then prefix=/usr/local; else prefix="${HOME:?HOME is not set}/.local"; fi
binary=""
build=1
uninstall=0
profile=1
[ "$(id -u)" = 0 ] || profile=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --no-build) [ $# -ge 2 ] || die "--no-build needs the path of a built interlock binary"; build=0; binary=$2; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    --no-profile) profile=0; shift ;;
    --profile) profile=1; shift ;;
    -h|--help) sed -n '2,/^set -eu/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

destdir=${DESTDIR:-}
bindir=$destdir$prefix/bin
libdir=$destdir$prefix/lib/interlock
shims=$libdir/shims
# Where the shims will be when the installed tree runs (without DESTDIR).
run_shims=$prefix/lib/interlock/shims
profile_d=$destdir/etc/profile.d/interlock.sh

if [ "$uninstall" = 1 ]; then
  rm -f "$bindir/interlock" "$bindir/interlock-bash" "$libdir/login.sh"
  rm -rf "$shims"
  rmdir "$libdir" 2>/dev/null || true
  rmdir "$destdir$prefix/lib" "$bindir" 2>/dev/null || true
  # Only the profile script that points at this prefix's shims is ours to remove.
  if [ "$profile" = 1 ] && [ -f "$profile_d" ] && grep -qF "$run_shims" "$profile_d"; then rm -f "$profile_d"; fi
  printf 'interlock removed from %s\n' "$prefix"
  printf 'remove the interlock PATH line from your shell profile if you added one\n'
  exit 0
fi

if [ "$build" = 1 ]; then
  (cd "$here" && cargo build --release --locked) || die "cargo build failed; nothing was installed"
  binary=$here/target/release/interlock
fi
[ -x "$binary" ] || die "$binary is not an executable interlock binary"

mkdir -p "$bindir" "$shims"
# Copy to a temporary name and rename, so a running interlock is never half-written;
# a failure on the way leaves no temporary file behind.
trap 'rm -f "$bindir/.interlock.new" "$libdir/.login.sh.new"' EXIT
cp "$binary" "$bindir/.interlock.new"
chmod 755 "$bindir/.interlock.new"
mv -f "$bindir/.interlock.new" "$bindir/interlock"
ln -sfn interlock "$bindir/interlock-bash"
# Read through BASH_ENV by login shells the shell mode starts (see shims/login.sh).
cp "$here/shims/login.sh" "$libdir/.login.sh.new"
chmod 644 "$libdir/.login.sh.new"
mv -f "$libdir/.login.sh.new" "$libdir/login.sh"

tools=$("$bindir/interlock" shims-list) || die "$bindir/interlock shims-list failed"
# Drop shims for tools that no longer have rules, then (re)create the current ones.
for f in "$shims"/* ; do
  [ -L "$f" ] || continue
  name=${f##*/}
  printf '%s\n' "$tools" | grep -qxF "$name" || rm -f "$f"
done
for t in $tools; do
  ln -sfn ../../../bin/interlock "$shims/$t"
done

if [ "$profile" = 1 ]; then
  mkdir -p "${profile_d%/*}"
  sed "s|@SHIMS_DIR@|$run_shims|" "$here/shims/profile.sh" > "$profile_d.new"
  chmod 644 "$profile_d.new"
  mv -f "$profile_d.new" "$profile_d"
  printf 'wrote %s (login shells will put the shims first on PATH)\n' "$profile_d"
fi

printf 'installed interlock to %s/interlock with %s shims in %s\n' "$bindir" "$(printf '%s\n' $tools | wc -l | tr -d ' ')" "$shims"
printf 'add this line to your shell profile (~/.profile, ~/.bashrc, ~/.zshrc):\n'
printf '  export PATH="%s:%s:$PATH"\n' "$run_shims" "$prefix/bin"
printf 'then check with: interlock doctor\n'
