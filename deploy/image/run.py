#!/usr/bin/env python3
"""Runs the image `make image` built, here, as deploy/kubernetes/deployment.yaml
runs it: its entrypoint as its user (uid 10001), the root filesystem
read-only, a tmpfs on /tmp (the pod's emptyDir), the host's network (so the
test stack on loopback is reached). No container engine: the image is
unpacked once (`unpack`) and entered with chroot in a mount namespace of its
own.

  run.py unpack          unpack target/image/certificate-service.oci.tar
  run.py [ARGS...]       the entrypoint with ARGS (the image's CMD without)

The environment this is given is the container's (over the image's ENV,
as a pod's `env` is). Everything is exec'd, so the service keeps this
process's pid: a signal sent to it reaches the service, and its exit code
is the service's.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARCHIVE = ROOT / "target" / "image" / "certificate-service.oci.tar"
BUNDLE = ROOT / "target" / "image" / "bundle"
CONFIG = BUNDLE / "image-config.json"
# deployment.yaml's emptyDir for /tmp has this size limit.
TMP_SIZE = "256m"


def unpack():
    """The archive's root filesystem (umoci, as root: owners kept) and its config."""
    staging = BUNDLE.with_name("bundle.staging")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(BUNDLE, ignore_errors=True)
    staging.mkdir(parents=True)
    subprocess.run(["skopeo", "copy", "-q", f"oci-archive:{ARCHIVE}", f"oci:{staging}/layout:image"], check=True)
    subprocess.run(["umoci", "unpack", "--image", f"{staging}/layout:image", f"{staging}/bundle"], check=True)
    config = subprocess.run(["skopeo", "inspect", "--config", f"oci-archive:{ARCHIVE}"], check=True,
                            capture_output=True, text=True).stdout
    (staging / "bundle" / "image-config.json").write_text(config)
    (staging / "bundle").rename(BUNDLE)
    shutil.rmtree(staging)


def run(args):
    image = json.loads(CONFIG.read_text())["config"]
    uid, _, gid = image["User"].partition(":")
    env = dict(entry.split("=", 1) for entry in image.get("Env", []))
    env.update((name, value) for name, value in os.environ.items() if name != "PATH")
    command = image["Entrypoint"] + (args or image.get("Cmd") or [])
    rootfs = str(BUNDLE / "rootfs")
    mounts = ('mount --bind "$R" "$R" && mount -t tmpfs -o size=' + TMP_SIZE + ',mode=1777 tmpfs "$R/tmp" '
              '&& mount -t proc proc "$R/proc" && mount --rbind /dev "$R/dev" '
              '&& mount -o remount,bind,ro "$R" && cd "$R" && exec "$@"')
    os.environ["R"] = rootfs
    os.execvp("unshare", ["unshare", "--mount", "--propagation", "private", "sh", "-c", mounts, "sh",
                          "env", "-i", *[f"{name}={value}" for name, value in env.items()],
                          "chroot", f"--userspec={uid}:{gid or uid}", rootfs, *command])


if __name__ == "__main__":
    if sys.argv[1:] == ["unpack"]:
        unpack()
    else:
        run(sys.argv[1:])
