#!/bin/sh
# Dev container feature: installs interlock for every user of the image.
#
# Runs as root at image build time. Options arrive as environment variables (the
# feature's option ids upper-cased): BINARY, SOURCE, TOOLS, HARDENED, AGENTUSER.
#
# What it installs, under /usr/local (through the repository's install.sh):
#   bin/interlock, bin/interlock-bash, lib/interlock/shims/<tool> -> ../../../bin/interlock
#   /etc/profile.d/interlock.sh   login shells (bash -l, sh -l) put the shims first again
#                                 after /etc/profile resets PATH
#   /etc/bash.bashrc block        interactive non-login bash does the same
#   /etc/shells entry             interlock-bash is a valid login shell
#   /etc/interlock/rules/         the system rules layer, root-owned
# Every other process gets the shims from the feature's containerEnv PATH.
#
# HARDENED=true adds the recipe from the threat model: AGENTUSER is created without a
# password, sudo or docker group and with interlock-bash as its shell; interlock's
# files stay root-owned and not writable by it, including the user-rules directory in
# its home.
#
# INTERLOCK_ROOT=DIR installs into DIR instead of / (for tests and image assembly):
# commands that change the user database or ownership are printed, not run.
set -eu

die() { printf 'interlock feature: %s\n' "$*" >&2; exit 1; }
say() { printf 'interlock feature: %s\n' "$*"; }

here=$(cd "$(dirname "$0")" && pwd)
root=${INTERLOCK_ROOT:-}
prefix=/usr/local
binary=${BINARY:-}
source_url=${SOURCE:-}
tools=${TOOLS:-all}
hardened=${HARDENED:-false}
agent=${AGENTUSER:-agent}

# Changes to users and ownership: run for real only when installing into /.
priv() {
  if [ -n "$root" ]; then
    printf 'would run: %s\n' "$*"
  else
    "$@"
  fi
}

[ -n "$root" ] || [ "$(id -u)" = 0 ] || die "must run as root (dev container features do)"

# 1. The binary: an explicit path, one packaged beside this script, or a cargo build.
if [ -z "$binary" ] && [ -x "$here/interlock" ]; then
  binary=$here/interlock
fi
if [ -z "$binary" ]; then
  [ -n "$source_url" ] || die "no interlock binary: set the 'binary' option, package one as $here/interlock, or set 'source' to a git URL to build"
  command -v cargo >/dev/null 2>&1 || die "'source' is set but cargo is not installed; add the rust feature first"
  build=$(mktemp -d)
  cargo install --locked --root "$build" --git "$source_url" interlock || die "cargo install from $source_url failed; nothing was installed"
  binary=$build/bin/interlock
fi
[ -x "$binary" ] || die "$binary is not an executable interlock binary"

# 2. The repository's installer: packaged as dist/ beside this script, or in the
# checkout this feature folder lives in.
installer=""
for c in "$here/dist/install.sh" "$here/../../../install.sh"; do
  if [ -f "$c" ]; then installer=$c; break; fi
done
[ -n "$installer" ] || die "install.sh not found; package the repository's install.sh and shims/ as $here/dist/"

DESTDIR=$root sh "$installer" --prefix "$prefix" --no-build "$binary" --profile

shims=$root$prefix/lib/interlock/shims
run_bash=$prefix/bin/interlock-bash

# 3. Only the tools asked for, when not all of them.
if [ "$tools" != all ] && [ -n "$tools" ]; then
  wanted=$(printf '%s\n' "$tools" | tr ', ' '\n\n' | sed '/^$/d')
  for f in "$shims"/*; do
    [ -L "$f" ] || continue
    printf '%s\n' "$wanted" | grep -qxF "${f##*/}" || rm -f "$f"
  done
  # A tool without rules still gets a shim: it is judged (and allowed) like any other.
  for t in $wanted; do
    case $t in */*|.*) die "not a tool name: $t" ;; esac
    ln -sfn ../../../bin/interlock "$shims/$t"
  done
  say "shims for: $(printf '%s ' $wanted)"
fi

# 4. Interactive non-login bash does not read /etc/profile.d; point it there once.
bashrc=$root/etc/bash.bashrc
marker='# interlock: shims first on PATH'
mkdir -p "$root/etc"
if ! { [ -f "$bashrc" ] && grep -qF "$marker" "$bashrc"; }; then
  printf '%s\n[ -r /etc/profile.d/interlock.sh ] && . /etc/profile.d/interlock.sh\n' "$marker" >> "$bashrc"
fi

# 5. interlock-bash as a login shell.
shells=$root/etc/shells
if ! { [ -f "$shells" ] && grep -qxF "$run_bash" "$shells"; }; then
  printf '%s\n' "$run_bash" >> "$shells"
fi

# 6. The system rules layer and the state directory, root's.
mkdir -p "$root/etc/interlock/rules" "$root/var/lib/interlock"
chmod 755 "$root/etc/interlock" "$root/etc/interlock/rules" "$root/var/lib/interlock"
priv chown -R root:root "$root/etc/interlock" "$root$prefix/lib/interlock" "$root$prefix/bin/interlock"

# 7. The hardened recipe.
case $hardened in
  true|1|yes) hardened=true ;;
  *) hardened=false ;;
esac
if [ "$hardened" = true ]; then
  case $agent in
    ''|root|*[!A-Za-z0-9._-]*) die "agentUser '$agent' is not a usable unprivileged user name" ;;
  esac
  if [ -z "$root" ] && id "$agent" >/dev/null 2>&1; then
    priv usermod --shell "$run_bash" "$agent"
    for g in sudo wheel admin docker; do
      if id -nG "$agent" | tr ' ' '\n' | grep -qxF "$g"; then
        die "user $agent is in the $g group, which gives back what the hardened recipe takes away; remove it (gpasswd -d $agent $g) and build again"
      fi
    done
  else
    [ -n "$root" ] || command -v useradd >/dev/null 2>&1 \
      || die "useradd not found; install the passwd (Debian) or shadow (Alpine, Fedora) package first"
    # No password (the account is locked), no extra groups, interlock-bash as shell.
    priv useradd --create-home --user-group --shell "$run_bash" "$agent"
  fi
  home=$root/home/$agent
  # The user rules layer lives in the agent's home; make it root's so the agent cannot
  # add or override rules there.
  mkdir -p "$home/.config/interlock/rules"
  chmod 755 "$home/.config/interlock" "$home/.config/interlock/rules"
  priv chown root:root "$home/.config/interlock" "$home/.config/interlock/rules"
  priv chown "$agent:$agent" "$home/.config"
  # The user layer is found through HOME and XDG_CONFIG_HOME, which the agent's process
  # controls: with it off, only the root-owned system layer counts.
  conf=$root/etc/interlock/config.toml
  if ! grep -qs '^\[layers\]' "$conf"; then
    printf '# Written by the interlock dev container feature (hardened).\n[layers]\nuser = false\n' >> "$conf"
  fi
  # Approvals go to a shared queue where each is a file owned by its approver, which
  # the agent's user cannot make for a human; its own approvals do not count.
  queue=/var/lib/interlock/approvals
  mkdir -p "$root$queue"
  chmod 1777 "$root$queue"
  priv chown root:root "$root$queue"
  if ! grep -qs '^\[confirm\]' "$conf"; then
    printf '\n[confirm]\nqueue_dir = "%s"\nself_approval = false\n' "$queue" >> "$conf"
  fi
  chmod 644 "$conf"
  priv chown root:root "$conf"
  say "hardened: $agent has no password, sudo or docker, runs interlock-bash, and cannot write interlock's files"
  say "hardened: approvals go to $queue; approve as another user with: interlock approvals"
  say "hardened: give $agent no cloud, cluster or database credentials; mount least-privilege ones read-only if it needs any"
fi

say "installed; shims in $prefix/lib/interlock/shims (run 'interlock doctor' in the container to check)"
