#!/usr/bin/env bash
# `make image`: the service's OCI image, built on this machine with no Docker
# engine and no registry, from deploy/Dockerfile itself.
#
# - The Dockerfile's base, debian:bookworm-slim, is made here: Debian's
#   minbase root filesystem (debootstrap, cached under target/image/), its
#   apt lists removed, imported into buildah's local storage under that name.
# - The Dockerfile's build stage is the host's release build (same command,
#   --locked; the binary stripped as the stage's CARGO_PROFILE_RELEASE_STRIP
#   does): there is no Rust toolchain image here and no network but the
#   package registries.
# - Its runtime stage is what `buildah bud` runs, line for line: the stage is
#   cut out of deploy/Dockerfile and only its `COPY --from=build` made a COPY
#   of that binary (tests/image checks the two stay that way).
#
# Output: target/image/certificate-service.oci.tar (an OCI archive skopeo,
# `docker load` and crane accept), its digest (.digest) and a CycloneDX bill
# of materials (.cdx.json: the image's Debian packages and the binary's
# crates with their versions).
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=target/image
BASE=docker.io/library/debian:bookworm-slim
IMAGE=localhost/certificate-service
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
STORAGE=(--storage-driver vfs)
VERSION=$(cargo metadata --no-deps --format-version 1 --offline |
    python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "certificate-service"))')
REVISION=$(git rev-parse HEAD)
# Where the image's source lives: the workspace has no published repository
# yet, so the operator says (IMAGE_SOURCE), or it is the checkout's origin.
SOURCE=${IMAGE_SOURCE:-$(git remote get-url origin 2>/dev/null || echo unknown)}
started=$(date +%s)
say() { echo "image: [$(($(date +%s) - started)) s] $*"; }

mkdir -p "$OUT/context"

if ! buildah "${STORAGE[@]}" inspect --type image "$BASE" >/dev/null 2>&1; then
    if [ ! -f "$OUT/bookworm-minbase.tar" ]; then
        say "debootstrap --variant=minbase bookworm (a minute or so; cached in $OUT/bookworm-minbase.tar)"
        rm -rf "$OUT/rootfs"
        debootstrap --variant=minbase bookworm "$OUT/rootfs" "$MIRROR" >"$OUT/debootstrap.log" 2>&1 ||
            { tail -20 "$OUT/debootstrap.log"; exit 1; }
        rm -rf "$OUT"/rootfs/var/lib/apt/lists/* "$OUT"/rootfs/var/cache/apt/*.bin "$OUT"/rootfs/var/cache/apt/archives/*.deb
        tar -C "$OUT/rootfs" --numeric-owner -cf "$OUT/bookworm-minbase.tar" .
        rm -rf "$OUT/rootfs"
    fi
    say "importing the root filesystem as $BASE"
    base=$(buildah "${STORAGE[@]}" from scratch)
    buildah "${STORAGE[@]}" add "$base" "$OUT/bookworm-minbase.tar" / >/dev/null
    buildah "${STORAGE[@]}" config --cmd bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$base"
    buildah "${STORAGE[@]}" commit --quiet --rm "$base" "$BASE" >/dev/null
fi

say "building the release binary as the Dockerfile's build stage does (cargo build --release --locked)"
cargo build --release --locked --quiet -p certificate-service
strip -o "$OUT/context/certificate-service" target/release/certificate-service

# The runtime stage, with the one line that reads from the build stage made a
# COPY of the binary built above.
awk '/^FROM .* AS runtime/ { keep = 1 } keep' deploy/Dockerfile |
    sed 's|^COPY --from=build /certificate-service |COPY certificate-service |' >"$OUT/Containerfile"
grep -q '^COPY certificate-service /usr/local/bin/certificate-service$' "$OUT/Containerfile" ||
    { echo "image: deploy/Dockerfile's runtime stage no longer copies /certificate-service from the build stage"; exit 1; }

say "buildah bud of the runtime stage (apt-get install runs inside; cached layers on later runs)"
buildah "${STORAGE[@]}" bud --quiet --isolation chroot --layers --pull-never \
    --annotation "org.opencontainers.image.source=$SOURCE" \
    --annotation "org.opencontainers.image.revision=$REVISION" \
    --annotation "org.opencontainers.image.version=$VERSION" \
    --label "org.opencontainers.image.revision=$REVISION" \
    --label "org.opencontainers.image.version=$VERSION" \
    -f "$OUT/Containerfile" -t "$IMAGE:$VERSION" "$OUT/context" >/dev/null

say "writing $OUT/certificate-service.oci.tar"
rm -f "$OUT/certificate-service.oci.tar"
buildah "${STORAGE[@]}" push --quiet "$IMAGE:$VERSION" \
    "oci-archive:$OUT/certificate-service.oci.tar:certificate-service:$VERSION"
skopeo inspect "oci-archive:$OUT/certificate-service.oci.tar" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Digest"])' >"$OUT/certificate-service.digest"

say "bill of materials"
container=$(buildah "${STORAGE[@]}" from --pull-never "$IMAGE:$VERSION")
mount=$(buildah "${STORAGE[@]}" mount "$container")
dpkg-query --admindir="$mount/var/lib/dpkg" -W -f '${Package}\t${Version}\t${Architecture}\n' >"$OUT/packages.tsv"
buildah "${STORAGE[@]}" umount "$container" >/dev/null
buildah "${STORAGE[@]}" rm "$container" >/dev/null
cargo metadata --format-version 1 --locked --offline --filter-platform x86_64-unknown-linux-gnu >"$OUT/cargo-metadata.json"
python3 deploy/image/sbom.py "$OUT/packages.tsv" "$OUT/cargo-metadata.json" "$VERSION" "$REVISION" \
    >"$OUT/certificate-service.cdx.json"

# vfs storage keeps a whole copy of every layer, and each build leaves the
# previous image untagged: about 1 GB a build until the disk is full.
buildah "${STORAGE[@]}" rmi --prune >/dev/null

size=$(du -m "$OUT/certificate-service.oci.tar" | cut -f1)
say "done: $OUT/certificate-service.oci.tar (${size} MiB, $(wc -l <"$OUT/packages.tsv") Debian packages), $(cat "$OUT/certificate-service.digest")"
