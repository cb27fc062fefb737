#!/usr/bin/env python3
"""Checks the docs (README.md, SECURITY.md, BENCHMARKS.md, RELIABILITY.md and
docs/*.md):

- every Markdown link to a file of the repository names one that exists,
  and a `#anchor` names a heading of that page;
- every repository path the text names (`crates/...`, `deploy/...`, ...,
  in prose or in a command) exists;
- every `make <target>` names a target of the Makefile, and every
  `certificate-service <command> [--option]` a command and option of its
  usage (crates/certificate-cli/src/lib.rs);
- every page of docs/ is linked from the README;
- every `Type::function` the pages name is a function of the workspace, and
  architecture.md's issue flow names files that exist (its `domain/`,
  `http/` and `postgres/` are those crates' `src/`) and functions that do;
- api.md's "Every route" table (its first column) names every operation of
  docs/openapi.json (the `/v1/tracking` copies aside), and no other;
- SECURITY.md names every operation the document leaves open (no token).

Prints each problem with its file and line, and exits 1 if there is one.
Run by `make docs` and `make test`.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "SECURITY.md", ROOT / "BENCHMARKS.md", ROOT / "RELIABILITY.md", *sorted((ROOT / "docs").glob("*.md"))]
TOP_LEVEL = ("crates", "deploy", "tests", "docs", "bench", "migrations", "schemas", ".ci")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
REPO_PATH = re.compile(r"(?<![\w./:-])((?:%s)/[\w./<>{}*…-]*[\w/>}*…])" % "|".join(re.escape(t) for t in TOP_LEVEL))
# `make x` as a command: at a line's start, after a prompt or a backtick.
MAKE = re.compile(r"(?:^\s*|`|\$ )make ([a-z][\w-]*)")
# A path written as a pattern, not a file: `crates/<name>`, `docs/*.md`, an elided `…`.
PATTERN = re.compile(r"[<>{}*…]")


METHOD = re.compile(r"\b[A-Z]\w+::([a-z_][a-z0-9_]*)\b")
FLOW_FILE = re.compile(r"(?<![\w/-])(domain|http|postgres)/([\w/]+\.rs)")
FLOW_STEP = re.compile(r"^\s+([a-z_][a-z0-9_]+)\s{2,}")
SHORT = {"domain": "crates/certificate-domain/src", "http": "crates/certificate-http/src",
         "postgres": "crates/certificate-postgres/src"}


SERVICE_COMMAND = re.compile(r"^\s*certificate-service\b(.*)")


def usage() -> str:
    text = (ROOT / "crates/certificate-cli/src/lib.rs").read_text()
    return text[text.index("pub const USAGE"):].split('";', 1)[0]


def check_command(arguments: str, usage_text: str) -> list:
    """What is wrong with `certificate-service <arguments>` by its usage."""
    arguments = arguments.split("#", 1)[0]
    words = []
    for word in arguments.split():
        if word.startswith(("-", "[")):
            break
        words.append(word)
    problems = []
    if words and f"\n  {' '.join(words)} " not in usage_text:
        problems.append(f"`certificate-service {' '.join(words)}`: no such command")
    for option in re.findall(r"--[a-z-]+", arguments):
        if option not in usage_text:
            problems.append(f"`certificate-service ... {option}`: no such option")
    return problems


def functions() -> set:
    """Every function name the workspace's Rust defines."""
    names = set()
    for source in [*(ROOT / "crates").rglob("*.rs"), *(ROOT / "tests").rglob("*.rs")]:
        names.update(re.findall(r"\bfn ([a-z_][a-z0-9_]*)", source.read_text()))
    return names


def check_flow(page: Path, defined: set) -> list:
    """The issue flow of architecture.md: its files exist, its steps are functions."""
    text = page.read_text()
    start = text.index("## The issue flow")
    flow = text[start:text.index("\n## ", start + 1)]
    problems = []
    for line in flow.splitlines():
        for short, path in FLOW_FILE.findall(line):
            if not (ROOT / SHORT[short] / path).exists():
                problems.append(f"docs/architecture.md: the flow names {short}/{path}: no such file")
        step = FLOW_STEP.match(line)
        if step and step.group(1) not in defined:
            problems.append(f"docs/architecture.md: the flow names {step.group(1)}: no such function")
    return problems


OPERATION = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`")
LEGACY_PREFIX = "/v1/tracking"


def operations() -> dict:
    """The OpenAPI document's operations, `/v1/tracking` copies aside: (method, path) -> operation."""
    document = json.loads((ROOT / "docs" / "openapi.json").read_text())
    return {(method.upper(), path): operation for path, item in document["paths"].items()
            for method, operation in item.items() if not path.startswith(LEGACY_PREFIX + "/")}


def check_open_routes(page: Path) -> list:
    """Every operation without a security requirement is named in SECURITY.md."""
    text = page.read_text()
    return [f"SECURITY.md: does not name `{method} {path}`, which asks no token"
            for (method, path), operation in sorted(operations().items())
            if "security" not in operation and f"`{method} {path}`" not in text]


def check_routes(page: Path) -> list:
    """api.md's route table against the OpenAPI document, both ways."""
    text = page.read_text()
    start = text.index("## Every route")
    table = text[start:text.index("\n## ", start + 1)]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    named = {(method, path) for cell in first_cells for method, path in OPERATION.findall(cell)}
    served = set(operations())
    problems = [f"docs/api.md: Every route does not name {method} {path}" for method, path in sorted(served - named)]
    problems += [f"docs/api.md: Every route names {method} {path}, which the service does not serve"
                 for method, path in sorted(named - served)]
    return problems


def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set:
    found, fenced = set(), False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.add(slug(line.lstrip("#")))
    return found


def make_targets() -> set:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", text, re.M))


def check(page: Path, targets: set, defined: set) -> list:
    problems, usage_text, shell = [], usage(), False
    where = lambda n: f"{page.relative_to(ROOT)}:{n}"
    for number, line in enumerate(page.read_text().splitlines(), 1):
        if line.startswith("```"):
            shell = line.strip() == "```sh"
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                problems.append(f"{where(number)}: link to {target}: no such file")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                problems.append(f"{where(number)}: link to {target}: no such heading")
        for path in REPO_PATH.findall(line):
            if not PATTERN.search(path) and not (ROOT / path).exists():
                problems.append(f"{where(number)}: names {path}: no such file or folder")
        for name in METHOD.findall(line):
            if name not in defined:
                problems.append(f"{where(number)}: names a function {name}: the workspace defines none")
        command = SERVICE_COMMAND.match(line) if shell else None
        if command:
            problems += [f"{where(number)}: {problem}" for problem in check_command(command.group(1), usage_text)]
        for target in MAKE.findall(line):
            if target not in targets:
                problems.append(f"{where(number)}: `make {target}`: no such target in the Makefile")
    return problems


def main() -> int:
    targets, defined = make_targets(), functions()
    problems = [problem for page in PAGES for problem in check(page, targets, defined)]
    problems += check_flow(ROOT / "docs" / "architecture.md", defined)
    problems += check_routes(ROOT / "docs" / "api.md")
    problems += check_open_routes(ROOT / "SECURITY.md")
    readme = (ROOT / "README.md").read_text()
    for page in sorted((ROOT / "docs").glob("*.md")):
        if f"docs/{page.name}" not in readme:
            problems.append(f"README.md: does not link docs/{page.name}")
    for problem in problems:
        print(problem)
    print(f"docs: {len(PAGES)} pages checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
