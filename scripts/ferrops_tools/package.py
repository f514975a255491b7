"""How scripts/deploy packages the functions built for this machine, for a local stage.

  zip-bootstrap BINARY ZIP                  zips BINARY as `bootstrap` (mode 755), as Lambda's
                                            provided.al2023 runtime wants it
  host-template TEMPLATE OUT LAMBDA_DIR ARCH
                                            writes TEMPLATE to OUT with each function's code taken
                                            from LAMBDA_DIR and its architecture set to ARCH

The templates name the arm64 release zips that real AWS runs. A local stage runs on this machine,
so it deploys the same template with this machine's builds instead.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

CODE = re.compile(r"(Code: )\.\./target/lambda-arm64/")
ARCH = re.compile(r"Architectures: \[arm64\]")


def zip_bootstrap(binary: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
    # The executable bit lives in the entry's external attributes; zipfile's defaults drop it.
    info.external_attr = (0o100755 << 16)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(info, binary.read_bytes())


def host_template(template: Path, out: Path, lambda_dir: Path, arch: str) -> None:
    text = template.read_text()
    text, codes = CODE.subn(lambda m: f"{m.group(1)}{lambda_dir.resolve()}/", text)
    text, archs = ARCH.subn(f"Architectures: [{arch}]", text)
    if codes == 0 or codes != archs:
        sys.exit(f"{template}: expected each function's Code and Architectures in the usual form "
                 f"(found {codes} code paths, {archs} architectures)")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["zip-bootstrap"] and len(args) == 3:
        zip_bootstrap(Path(args[1]), Path(args[2]))
    elif args[:1] == ["host-template"] and len(args) == 5:
        host_template(Path(args[1]), Path(args[2]), Path(args[3]), args[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
