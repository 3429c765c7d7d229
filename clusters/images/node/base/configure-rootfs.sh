#!/bin/bash
# Runs INSIDE the node base rootfs (chroot, from build-base.sh) after the
# Debian packages are installed and files/ is copied in. Everything here works
# offline and without a running systemd.
set -o errexit -o nounset -o pipefail

# CNI plugins: containerd looks in /opt/cni/bin (config.toml). Link Debian's
# plugins one by one so an add-on that installs its own binaries there does not
# write into /usr/lib/cni.
mkdir -p /opt/cni/bin /etc/cni/net.d
for plugin in /usr/lib/cni/*; do
  ln -sfn "$plugin" "/opt/cni/bin/$(basename "$plugin")"
done

# Base OCI spec for pods: containerd's default minus process.rlimits, so pods
# inherit containerd's (unlimited) limits instead of RLIMIT_NOFILE=1024.
ctr oci spec | jq 'del(.process.rlimits)' >/etc/containerd/cri-base.json
jq -e '.process.capabilities and (.process.rlimits | not)' /etc/containerd/cri-base.json >/dev/null

# Our containerd.service in /etc replaces Debian's; re-enable so the wants link
# is made from it.
systemctl reenable containerd.service
systemctl enable kubelet.service
# Debian defaults to graphical.target; a node has no use for it.
systemctl set-default multi-user.target

# Units that act on the host rather than the container: a node must not
# register binfmt handlers or tune the host's kernel, and has no hardware,
# consoles to log in on, or clock to set.
systemctl mask \
  systemd-binfmt.service \
  proc-sys-fs-binfmt_misc.automount \
  proc-sys-fs-binfmt_misc.mount \
  getty.target \
  console-getty.service \
  systemd-logind.service \
  systemd-timesyncd.service \
  systemd-firstboot.service \
  systemd-hwdb-update.service

mkdir -p /kind/manifests /etc/kubernetes/manifests /var/lib/kubelet

# Regenerated at every boot by the entrypoint.
rm -f /etc/machine-id /var/lib/dbus/machine-id
touch /etc/machine-id
