# shellcheck shell=bash
# The Debian minbase rootfs tar every engine imports. Built once with debootstrap and cached under
# bench/work/ (git-ignored). The mirror is read from this machine's apt configuration at run time so
# that no package host is written into the repository.

# Print "MIRROR SUITE" for the host's own Debian release, as apt is configured to fetch it.
apt_mirror_and_suite() {
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [[ -n $codename ]] || { echo "bench: no VERSION_CODENAME in /etc/os-release" >&2; return 1; }
  apt-get indextargets --format '$(SITE) $(RELEASE) $(TARGET_OF)' \
    | awk -v s="$codename" '$2 == s && $3 == "deb" { print $1, $2; exit }' \
    | grep . || { echo "bench: apt has no 'deb' source for suite $codename" >&2; return 1; }
}

# Build WORK/minbase.tar unless it is already there. Prints its path.
ensure_minbase_tar() {
  local work=$1 tarball=$1/minbase.tar rootfs=$1/minbase-rootfs mirror suite
  if [[ -s $tarball ]]; then echo "$tarball"; return; fi
  command -v debootstrap >/dev/null || apt_install debootstrap
  read -r mirror suite < <(apt_mirror_and_suite)
  rm -rf "$rootfs"
  echo "bench: debootstrap --variant=minbase $suite (mirror from apt config)" >&2
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; return 1; }
  # Numeric owners and xattrs, sorted names: the same bytes on every rebuild from the same packages.
  tar --numeric-owner --xattrs --xattrs-include='*' --sort=name -C "$rootfs" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf "$rootfs"
  echo "$tarball"
}
