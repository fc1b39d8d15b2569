#!/bin/sh
# Re-vendor the API documentation assets (Swagger UI, ReDoc) from npm into
# api/static/docs/ and rewrite its MANIFEST.json (package, version, licence, sha256).
# Run by hand when upgrading; the served pages never load anything from a CDN.
#   sh scripts/vendor_docs.sh [swagger-ui-dist-version] [redoc-version]
set -eu
SW=${1:-5.36.0}
RD=${2:-2.5.4}
DEST=$(cd "$(dirname "$0")/.." && pwd)/api/static/docs
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack "swagger-ui-dist@$SW" "redoc@$RD" >/dev/null
mkdir sw rd
tar xzf "swagger-ui-dist-$SW.tgz" -C sw
tar xzf "redoc-$RD.tgz" -C rd
cp sw/package/swagger-ui-bundle.js sw/package/swagger-ui.css sw/package/favicon-32x32.png \
   sw/package/swagger-ui-bundle.js.LICENSE.txt "$DEST/"
cp sw/package/LICENSE "$DEST/swagger-ui-dist.LICENSE"
cp rd/package/bundles/redoc.standalone.js rd/package/bundles/redoc.standalone.js.LICENSE.txt "$DEST/"
cp rd/package/LICENSE "$DEST/redoc.LICENSE"
python3 - "$DEST" "$WORK" "$SW" "$RD" <<'PY'
import hashlib, json, pathlib, sys
dest, work, sw, rd = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3], sys.argv[4]
sha = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()
pk = {
    "swagger-ui-dist": (sw, "Apache-2.0", ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png",
                                            "swagger-ui-dist.LICENSE", "swagger-ui-bundle.js.LICENSE.txt"]),
    "redoc": (rd, "MIT", ["redoc.standalone.js", "redoc.LICENSE", "redoc.standalone.js.LICENSE.txt"]),
}
out = {"how": "npm pack <package>@<version>; files copied from the tarball's package/ folder "
              "(redoc: package/bundles/); regenerate with scripts/vendor_docs.sh", "packages": []}
for name, (ver, lic, files) in pk.items():
    tgz = f"{name}-{ver}.tgz"
    out["packages"].append({"package": name, "version": ver, "licence": lic, "tarball": tgz,
                            "tarball_sha256": sha(work / tgz),
                            "files": [{"file": f, "sha256": sha(dest / f)} for f in files]})
(dest / "MANIFEST.json").write_text(json.dumps(out, indent=1) + "\n")
PY
echo "vendored swagger-ui-dist $SW and redoc $RD into $DEST"
