"""Generate each addon's README.rst from its manifest and its readme/ fragments, the OCA way.

The fragments are the source: DESCRIPTION.md (no heading), then CONFIGURE.md, USAGE.md and the
other sections OCA knows, in OCA's order, then the manifest's license. The fragments are
Markdown; what of it they use (inline code, links, headings) is turned into reStructuredText,
everything else (lists, emphasis, indentation) reads the same in both.

    python scripts/readme.py            rewrite every README.rst
    python scripts/readme.py --check    exit 1 when a README.rst differs from its fragments or
                                        is not valid reStructuredText (run by scripts/lint.sh)
"""

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON_FOLDERS = ("addons", "tests/addons")
# Fragment → section title, in the order OCA's readme generator writes them.
SECTIONS = (
    ("DESCRIPTION", None),
    ("INSTALL", "Installation"),
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("ROADMAP", "Known issues / Roadmap"),
    ("HISTORY", "Changelog"),
    ("CONTRIBUTORS", "Contributors"),
)
HEADING_UNDERLINES = {1: "=", 2: "-", 3: "~"}

INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,3}) (.+)$", re.MULTILINE)


def markdown_to_rst(text):
    """The Markdown the fragments use, as reStructuredText. Double backticks are already
    reStructuredText's inline literal and are kept."""
    text = INLINE_CODE.sub(r"``\1``", text)
    text = LINK.sub(r"`\1 <\2>`__", text)
    return HEADING.sub(
        lambda match: title(match.group(2), HEADING_UNDERLINES[len(match.group(1)) + 1]),
        text,
    ).strip()


def title(text, char, overline=False):
    rule = char * len(text)
    return f"{rule}\n{text}\n{rule}" if overline else f"{text}\n{rule}"


def render(addon):
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
    parts = [title(manifest["name"], "=", overline=True)]
    for fragment, heading in SECTIONS:
        path = addon / "readme" / f"{fragment}.md"
        if not path.exists():
            continue
        if heading:
            parts.append(title(heading, "="))
        parts.append(markdown_to_rst(path.read_text()))
    parts += [title("License", "="), manifest["license"]]
    return "\n\n".join(parts) + "\n"


def rst_problems(text, source):
    """Warnings and errors docutils finds in ``text``."""
    from docutils.frontend import get_default_settings  # noqa: PLC0415 (only the check needs it)
    from docutils.parsers.rst import Parser  # noqa: PLC0415
    from docutils.utils import Reporter, new_document  # noqa: PLC0415

    settings = get_default_settings(Parser)
    # Collected, not printed; and never a halt: every problem of every file is reported.
    settings.report_level = Reporter.SEVERE_LEVEL + 1
    settings.halt_level = Reporter.SEVERE_LEVEL + 1
    document = new_document(str(source), settings)
    problems = []
    document.reporter.attach_observer(
        lambda message: (
            message["level"] >= Reporter.WARNING_LEVEL
            and problems.append(f"{source}:{message.get('line', '?')}: {message.astext()}")
        )
    )
    Parser().parse(text, document)
    return problems


def addons():
    for folder in ADDON_FOLDERS:
        for manifest in sorted((ROOT / folder).glob("*/__manifest__.py")):
            if (manifest.parent / "readme").is_dir():
                yield manifest.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    check = parser.parse_args().check
    failures = []
    for addon in addons():
        readme = addon / "README.rst"
        expected = render(addon)
        if check:
            if not readme.exists() or readme.read_text() != expected:
                failures.append(
                    f"{readme.relative_to(ROOT)} differs from its readme/ fragments: "
                    "run python scripts/readme.py"
                )
            failures += rst_problems(expected, readme.relative_to(ROOT))
        elif not readme.exists() or readme.read_text() != expected:
            readme.write_text(expected)
            print(f"[readme] wrote {readme.relative_to(ROOT)}")
    for failure in failures:
        print(f"[readme] {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
