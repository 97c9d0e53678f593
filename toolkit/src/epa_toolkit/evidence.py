"""`make evidence`: the submission pack, one zip built from the committed project (HEAD).

    build/evidence/<slug>-evidence.zip          (-DRAFT.zip with `make evidence DRAFT=1`)
      <slug>-evidence/
        index.html          the front page: what is in the pack, with links to all of it
        documents/          the apprentice's documents and the reference pages, as HTML
        source/             the code, infrastructure, pipelines and configuration at HEAD
        browse/             a listing page for each folder a document links to
        diagram/            architecture.png, drawn from the infrastructure code
        test-reports/       JUnit and coverage reports of the app and the infrastructure
        models/             the synthesized model of each environment
        inspection/         the latest inspection reports, when there are any
        load-tests/         the load test reports (make load-test), when there are any
        CONTRIBUTION.md     the contribution statement to sign (contribution.html to read)
        manifest.json       commit, build time, draft or not, every file with its sha256
        MANIFEST.sha256     `sha256sum -c MANIFEST.sha256` checks every file

A final pack is built only when `make ready` has nothing left to do and the tracked files
match HEAD. Worked examples (docs/examples/) and the guidance comments of the documents never
reach the pack; the documents' Markdown is in it as HTML only. Every link in the pack's pages
is checked to resolve inside the pack. Runs offline.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote

import markdown

from epa_toolkit import contribution, prose
from epa_toolkit.contribution import git
from project_facts import FactsError, project_root
from project_facts import load as load_facts

ROOT = project_root()  # the project this runs in (project_facts)
EXCLUDED = ("docs/examples",)  # worked examples are never submitted
MAX_SHOWN = 25  # unfinished items on a draft's front page
GRAPHVIZ_MISSING = (
    "Graphviz (dot) is needed for the architecture picture: apt install graphviz / brew install graphviz"
)
DRAFT_BANNER = (
    '<p class="draft-banner" role="note"><strong>DRAFT</strong>: this pack was built with '
    "unfinished work; it is not the submission.</p>"
)
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem;"
    "line-height:1.5}nav{font-size:.9rem;border-bottom:1px solid #ccc;margin-bottom:1rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}"
    "pre{background:#f4f4f4;padding:.5rem;overflow:auto}"
    ".draft-banner{background:#b00020;color:#fff;padding:.5rem 1rem;font-size:1.2rem}"
)
ATTRIBUTE = re.compile(r"(\s(?:href|src)=)\"([^\"]*)\"")
EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


class PackError(Exception):
    """The pack cannot be built: the message says why; code is the exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


@dataclass
class Pack:
    root: Path  # the project
    top: Path  # the pack's top folder while it is built
    slug: str
    draft: bool
    commit: str = ""
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        print(f"warning: {message}", file=sys.stderr)


Producer = Callable[[Pack], None]


def run(pack: Pack, args: list[str], cwd: Path, what: str) -> None:
    """Run one producer command; a failure stops a final pack and is a warning in a draft."""
    try:
        subprocess.run(args, cwd=cwd, check=True)  # noqa: S603 - our own fixed commands
    except subprocess.CalledProcessError as error:
        message = f"{what} failed (exit {error.returncode})"
        if not pack.draft:
            raise PackError(
                f"{message}: fix it, or build a draft with `make evidence DRAFT=1`.", 1
            ) from error
        pack.warn(f"{message}; the draft pack has what it produced")


# --- Producers: the slow steps, replaceable in tests ------------------------------------------


def test_reports(pack: Pack) -> None:
    reports = pack.top / "test-reports"
    reports.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    run(pack, [python, "-m", "pytest", "app/tests", "-q", "-p", "no:cacheprovider",
               f"--junitxml={reports / 'app-junit.xml'}", f"--cov={pack.slug}",
               f"--cov-report=xml:{reports / 'app-coverage.xml'}",
               f"--cov-report=html:{reports / 'app-coverage-html'}"],
        pack.root, "The app's tests")  # fmt: skip
    run(pack, [python, "-m", "pytest", "infra/tests", "-q", "-p", "no:cacheprovider",
               f"--junitxml={reports / 'infra-junit.xml'}"],
        pack.root, "The infrastructure's tests")  # fmt: skip


def stacks(root: Path) -> tuple[str, ...]:
    """The environments of the project's project.yaml, in promotion order: one stack each."""
    try:
        return load_facts(root / "project.yaml").names
    except FactsError as error:
        raise PackError(f"project.yaml: {error}") from error


def models(pack: Pack) -> None:
    for stack in stacks(pack.root):
        output = pack.top / "models" / f"{stack}.json"
        output.parent.mkdir(parents=True, exist_ok=True)
        run(pack, [sys.executable, "-m", "synth", stack, "--output", str(output)],
            pack.root / "infra", f"The {stack} model (make synth ENV={stack})")  # fmt: skip


def diagram(pack: Pack) -> None:
    if not shutil.which("dot"):
        if not pack.draft:
            raise PackError(GRAPHVIZ_MISSING)
        pack.warn(f"{GRAPHVIZ_MISSING}. The draft has no architecture picture.")
        return
    png = pack.top / "diagram" / "architecture.png"
    png.parent.mkdir(parents=True, exist_ok=True)
    run(pack, [sys.executable, "-m", "diagram", "--png", str(png)], pack.root / "infra",
        "The architecture picture")  # fmt: skip


def inspection(pack: Pack) -> None:
    reports = pack.root / "reports" / "inspection"
    if reports.is_dir():
        shutil.copytree(reports, pack.top / "inspection")


def load_tests(pack: Pack) -> None:
    reports = pack.root / "reports" / "load"
    if reports.is_dir():
        # The Markdown reports and Locust's CSV files; Locust's HTML report links to files
        # outside the pack.
        shutil.copytree(reports, pack.top / "load-tests", ignore=shutil.ignore_patterns("*.html"))


PRODUCERS: list[Producer] = [test_reports, models, diagram, inspection, load_tests]


# --- Checks before building --------------------------------------------------------------------


def readiness(root: Path) -> list[str]:
    from epa_toolkit import ready  # the lead's readiness check, imported when used

    return [f"{item.location}: {item.message}" for item in ready.unfinished(root)]


def check_repository(root: Path, draft: bool) -> tuple[str, str, list[str]]:
    """(HEAD's commit, the project's folder inside the repository, warnings)."""
    try:
        git(root, "rev-parse", "--show-toplevel")
    except (subprocess.CalledProcessError, FileNotFoundError) as error:
        raise PackError(
            "The pack is built from the committed project, and this folder is not in a git "
            "repository: run `git init`, then commit."
        ) from error
    try:
        commit = git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").strip()
    except subprocess.CalledProcessError as error:
        raise PackError(
            "The pack is built from the committed project, and nothing is committed yet."
        ) from error
    prefix = git(root, "rev-parse", "--show-prefix").strip()
    status = git(root, "status", "--porcelain", "-z", "--untracked-files=no", "--", ".")
    changed = [entry[3:] for entry in status.split("\0") if len(entry) > 3]
    untracked = git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", "docs")
    changed += [f"{path} (not committed)" for path in untracked.split("\0") if path]
    warnings = []
    if changed:
        names = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        message = f"Files differ from the last commit: {names}."
        if not draft:
            raise PackError(f"{message} The pack is built from HEAD exactly: commit them first.")
        warnings.append(f"{message} The draft is built from HEAD without them.")
    return commit, prefix, warnings


def project_slug(root: Path) -> str:
    packages = sorted(init.parent.name for init in (root / "app" / "src").glob("*/__init__.py"))
    return packages[0] if packages else root.name


# --- Source: HEAD, extracted --------------------------------------------------------------------


def extract_head(root: Path, prefix: str, target: Path) -> None:
    tree = f"HEAD:{prefix}" if prefix else "HEAD"
    toplevel = Path(git(root, "rev-parse", "--show-toplevel").strip())
    excludes = [f":(exclude){path}" for path in EXCLUDED]
    data = subprocess.run(  # noqa: S603 - git with our own arguments
        ["git", "archive", "--format=tar", tree, "--", ".", *excludes],  # noqa: S607 - from PATH
        cwd=toplevel,
        capture_output=True,
        check=True,
    ).stdout
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(target, filter="data")


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


# --- Documents: Markdown to HTML with every link inside the pack -------------------------------


@dataclass
class Site:
    """Where each path of the repository is in the pack."""

    rendered: dict[str, str]  # repo path of a document -> its page in the pack
    source: set[str]  # repo paths kept in source/
    folders: set[str] = field(default_factory=set)
    listed: set[str] = field(default_factory=set)  # folders a page links to: they get a listing

    def __post_init__(self) -> None:
        for path in [*self.rendered, *self.source]:
            parts = path.split("/")[:-1]
            self.folders.update("/".join(parts[: i + 1]) for i in range(len(parts)))

    def place(self, repo_path: str) -> str | None:
        if repo_path in self.rendered:
            return self.rendered[repo_path]
        if repo_path in self.source:
            return f"source/{repo_path}"
        if repo_path in self.folders or repo_path == "":
            self.listed.add(repo_path)
            return listing_page(repo_path)
        return None


def listing_page(folder: str) -> str:
    return f"browse/{folder}/index.html" if folder else "browse/index.html"


def relative(target: str, page: str) -> str:
    return quote(posixpath.relpath(target, posixpath.dirname(page) or "."), safe="/#")


def rewrite_links(body: str, page: str, repo_path: str, site: Site, broken: list[str]) -> str:
    def rewrite(match: re.Match[str]) -> str:
        value = html.unescape(match[2])
        if not value or value.startswith("#") or EXTERNAL.match(value):
            return match[0]
        path, hash_, fragment = value.partition("#")
        path = unquote(path.partition("?")[0])
        if path.startswith("/"):
            target = posixpath.normpath(path.lstrip("/") or ".")
        else:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(repo_path), path))
        target = "" if target == "." else target
        place = None if target.startswith("../") or target == ".." else site.place(target)
        if place is None:
            broken.append(f"{repo_path}: link to {value} is not in the pack (not committed, or an example)")
            return match[0]
        new = relative(place, page) + (hash_ + fragment if fragment else "")
        return f'{match[1]}"{html.escape(new)}"'

    return ATTRIBUTE.sub(rewrite, body)


def page(title: str, body: str, page_path: str, pack: Pack, project: str) -> str:
    home = relative("index.html", page_path)
    nav = f'<nav><a href="{home}">{html.escape(project)}: evidence pack</a></nav>'
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + (DRAFT_BANNER + "\n" if pack.draft else "")
        + f"{nav}\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def render_markdown(text: str) -> tuple[str, str | None]:
    """(HTML body, the first level-1 heading) of Markdown with its comments removed."""
    text = prose.strip_comments(text)
    heading = H1.search(text)
    converter = markdown.Markdown(extensions=["tables", "fenced_code", "toc"])
    return converter.convert(text), (heading[1] if heading else None)


def render_documents(pack: Pack, source: Path, documents: list[str], site: Site, project: str) -> dict:
    """Render each document into documents/; return {repo path: title}."""
    broken: list[str] = []
    titles = {}
    for repo_path in documents:
        body, title = render_markdown((source / repo_path).read_text(encoding="utf-8"))
        page_path = site.rendered[repo_path]
        body = rewrite_links(body, page_path, repo_path, site, broken)
        titles[repo_path] = title or repo_path
        target = pack.top / page_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page(f"{titles[repo_path]} - {project}", body, page_path, pack, project))
    if broken:
        listed = "\n  ".join(dict.fromkeys(broken))
        raise PackError(f"Links that would break in the pack (make docs-check):\n  {listed}", 1)
    return titles


def write_listings(pack: Pack, site: Site, project: str) -> None:
    everything = sorted([*site.rendered, *site.source])
    for folder in sorted(site.listed):
        page_path = listing_page(folder)
        inside = [p for p in everything if not folder or p.startswith(folder + "/")]
        items = []
        for repo_path in inside:
            name = repo_path[len(folder) + 1 :] if folder else repo_path
            note = " (document, as HTML)" if repo_path in site.rendered else ""
            href = relative(site.place(repo_path) or "", page_path)
            items.append(f'<li><a href="{html.escape(href)}">{html.escape(name)}</a>{note}</li>')
        shown = f"{folder}/" if folder else "the project"
        body = (
            f"<h1>Files in {html.escape(shown)}</h1>\n<p>As committed at {pack.commit[:12]}; "
            f"{len(inside)} files.</p>\n<ul>\n" + "\n".join(items) + "\n</ul>"
        )
        target = pack.top / page_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page(f"{shown} - {project}", body, page_path, pack, project))


def write_contribution(pack: Pack, project: str) -> None:
    text = contribution.statement(pack.root)
    (pack.top / "CONTRIBUTION.md").write_text(text, encoding="utf-8")
    body, _ = render_markdown(text)
    (pack.top / "contribution.html").write_text(
        page(f"Contribution statement - {project}", body, "contribution.html", pack, project)
    )


def write_index(pack: Pack, context: dict, titles: dict, reference: set[str], site: Site) -> None:
    project = context.get("project_name") or pack.slug
    built = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")

    def link(path: str, text: str) -> str:
        return f'<li><a href="{html.escape(quote(path, safe="/"))}">{html.escape(text)}</a></li>'

    def files(folder: str) -> list[str]:
        return sorted(files_under(pack.top / folder)) if (pack.top / folder).is_dir() else []

    parts = [f"<h1>{html.escape(project)}: evidence pack</h1>", "<dl>"]
    for label, value in [
        ("Apprentice", context.get("apprentice_name")),
        ("Employer", context.get("employer")),
        ("Commit", pack.commit),
        ("Built", built),
    ]:
        if value:
            parts.append(f"<dt>{label}</dt><dd>{html.escape(value)}</dd>")
    parts.append("</dl>")
    if pack.draft:
        parts.append("<p><strong>DRAFT</strong>: unfinished work when built:</p><ul>")
        parts += [f"<li>{html.escape(w)}</li>" for w in pack.warnings[:MAX_SHOWN]]
        if len(pack.warnings) > MAX_SHOWN:
            more = len(pack.warnings) - MAX_SHOWN
            parts.append(f"<li>... and {more} more (manifest.json lists them all)</li>")
        parts.append("</ul>")
    own = [p for p in titles if p not in reference]
    parts += ["<h2>Documents</h2>", "<ul>"]
    parts += [link(site.rendered[p], f"{titles[p]} ({p})") for p in own] + ["</ul>"]
    if reference:
        parts += ["<h2>Reference pages</h2>", "<ul>"]
        parts += [link(site.rendered[p], f"{titles[p]} ({p})") for p in sorted(reference)]
        parts.append("</ul>")
    if (pack.top / "diagram" / "architecture.png").is_file():
        parts += [
            "<h2>Architecture</h2>",
            '<p><a href="diagram/architecture.png"><img src="diagram/architecture.png" '
            'alt="Architecture diagram, drawn from the infrastructure code" '
            'style="max-width:100%"></a></p>',
        ]
    reports = files("test-reports")
    if reports:
        parts += ["<h2>Test reports</h2>", "<ul>"]
        for name in reports:
            if "/" not in name or name.endswith("/index.html"):
                parts.append(link(f"test-reports/{name}", name))
        parts.append("</ul>")
    for folder, heading in [
        ("models", "Environment models"),
        ("inspection", "Inspection reports"),
        ("load-tests", "Load test reports"),
    ]:
        if files(folder):
            parts += [f"<h2>{heading}</h2>", "<ul>"]
            parts += [link(f"{folder}/{name}", name) for name in files(folder)] + ["</ul>"]
    site.place("")
    parts += [
        "<h2>Source</h2>",
        "<ul>",
        link(listing_page(""), "Every file of the project at this commit"),
        "</ul>",
        "<h2>Contribution</h2>",
        "<ul>",
        link("contribution.html", "Contribution statement"),
        link("CONTRIBUTION.md", "Contribution statement (Markdown, to sign)"),
        "</ul>",
        "<h2>Checksums</h2>",
        "<ul>",
        link("MANIFEST.sha256", "MANIFEST.sha256 (sha256sum -c MANIFEST.sha256)"),
        link("manifest.json", "manifest.json"),
        "</ul>",
    ]
    (pack.top / "index.html").write_text(
        page(f"{project}: evidence pack", "\n".join(parts), "index.html", pack, project)
    )


def mark_draft(pack: Pack) -> None:
    """A banner on every HTML page the tools made (coverage, inspection): not source/."""
    for path in sorted(pack.top.rglob("*.html")):
        if path.relative_to(pack.top).parts[0] == "source":
            continue
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        if DRAFT_BANNER not in text:
            text, n = re.subn(r"(<body[^>]*>)", lambda m: m[1] + DRAFT_BANNER, text, count=1)
            path.write_text(text if n else DRAFT_BANNER + text, encoding="utf-8", errors="surrogateescape")


# --- Manifest, archive, verification -----------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(pack: Pack, unfinished: list[str]) -> None:
    paths = sorted(files_under(pack.top))
    entries = [
        {"path": p, "sha256": sha256(pack.top / p), "size": (pack.top / p).stat().st_size} for p in paths
    ]
    manifest = {
        "slug": pack.slug,
        "commit": pack.commit,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "draft": pack.draft,
        "unfinished": unfinished if pack.draft else [],
        "warnings": pack.warnings,
        "files": entries,
    }
    (pack.top / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    lines = sorted([*entries, {"path": "manifest.json", "sha256": sha256(pack.top / "manifest.json")}],
                   key=lambda e: e["path"])  # fmt: skip
    (pack.top / "MANIFEST.sha256").write_text("".join(f"{e['sha256']}  {e['path']}\n" for e in lines))


def write_zip(top: Path, archive: Path, when: float) -> None:
    stamp = time.gmtime(max(when, 315532800))[:6]  # zip dates start in 1980
    partial = archive.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(files_under(top)):
            info = zipfile.ZipInfo(f"{top.name}/{path}", date_time=stamp)
            info.external_attr = (0o755 if os.access(top / path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, (top / path).read_bytes())
    partial.replace(archive)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value for name, value in attrs if name in ("href", "src") and value is not None]


def broken_links(archive: Path) -> list[str]:
    """Relative links of the pack's HTML pages (not source/'s own files) that do not resolve."""
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        folders = {posixpath.dirname(n) for n in names}
        folders |= {"/".join(f.split("/")[: i + 1]) for f in list(folders) for i in range(f.count("/"))}
        broken = []
        for name in sorted(names):
            parts = name.split("/")
            if not name.endswith((".html", ".htm")) or (len(parts) > 1 and parts[1] == "source"):
                continue
            parser = _Links()
            parser.feed(zf.read(name).decode("utf-8", "replace"))
            for value in parser.links:
                if not value or value.startswith("#") or EXTERNAL.match(value):
                    continue
                path = unquote(value.partition("#")[0].partition("?")[0])
                target = posixpath.normpath(posixpath.join(posixpath.dirname(name), path))
                if target not in names and target not in folders:
                    broken.append(f"{name}: {value}")
    return broken


# --- The build ----------------------------------------------------------------------------------


def build(root: Path, *, draft: bool, producers: list[Producer], unfinished: list[str]) -> Path:
    commit, prefix, warnings = check_repository(root, draft)
    if diagram in producers and not shutil.which("dot") and not draft:
        raise PackError(GRAPHVIZ_MISSING)
    slug = project_slug(root)
    out = root / "build" / "evidence"
    work = out / ".building"
    shutil.rmtree(work, ignore_errors=True)
    pack = Pack(root=root, top=work / f"{slug}-evidence", slug=slug, draft=draft, commit=commit)
    pack.warnings += [f"unfinished: {item}" for item in unfinished]
    for message in warnings:
        pack.warn(message)
    try:
        return _build(pack, prefix, producers, unfinished, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _build(pack: Pack, prefix: str, producers: list[Producer], unfinished: list[str], out: Path) -> Path:
    from epa_toolkit import writing

    source = pack.top / "source"
    extract_head(pack.root, prefix, source)
    cruft = source / ".cruft.json"
    context = (
        json.loads(cruft.read_text()).get("context", {}).get("cookiecutter", {}) if cruft.is_file() else {}
    )
    readme = H1.search((source / "README.md").read_text()) if (source / "README.md").is_file() else None
    project = context.get("project_name") or (readme[1] if readme else pack.slug)
    context.setdefault("project_name", project)

    reference = writing.load_reference(source)
    own = [p.as_posix() for p in writing.document_files(source, reference)]
    pages = [p.as_posix() for p in writing.reference_files(source, reference)]
    documents = [p for p in dict.fromkeys(own + pages) if p.endswith(".md")]
    site = Site(
        rendered={p: f"documents/{p[:-3]}.html" for p in documents},
        source=files_under(source) - set(documents),
    )
    titles = render_documents(pack, source, documents, site, project)
    for path in documents:  # their HTML is the submitted version, without the guidance
        (source / path).unlink()

    for produce in producers:
        produce(pack)
    write_contribution(pack, project)
    write_index(pack, context, titles, set(pages) - set(own), site)
    write_listings(pack, site, project)
    if pack.draft:
        mark_draft(pack)
    write_manifest(pack, unfinished)

    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"{pack.slug}-evidence*.zip"):
        old.unlink()
    archive = out / f"{pack.slug}-evidence{'-DRAFT' if pack.draft else ''}.zip"
    when = int(git(pack.root, "show", "-s", "--format=%ct", "HEAD").strip())
    write_zip(pack.top, archive, when)
    broken = broken_links(archive)
    if broken:
        archive.unlink()
        raise PackError("Broken links in the pack:\n  " + "\n  ".join(broken), 1)
    return archive


def summary(archive: Path, root: Path, seconds: float) -> str:
    with zipfile.ZipFile(archive) as zf:
        names = [n.split("/", 1)[1] for n in zf.namelist()]
    shown = archive.relative_to(root) if archive.is_relative_to(root) else archive
    counts = Counter(n.split("/")[0] if "/" in n else "" for n in names)
    lines = [f"{shown}: {len(names)} files, 0 broken links ({seconds:.0f} s)"]
    lines += [f"  {top}/ {n} files" for top, n in sorted(counts.items()) if top]
    lines += [f"  {n}" for n in sorted(names) if "/" not in n]
    return "\n".join(lines)


def main(argv: list[str] | None = None, *, root: Path = ROOT, producers: list[Producer] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make evidence", description=__doc__.splitlines()[0])
    parser.add_argument("--draft", action="store_true", help="build even with unfinished work, marked DRAFT")
    args = parser.parse_args(argv)
    started = time.monotonic()
    unfinished = readiness(root)
    if unfinished and not args.draft:
        print("Not ready for submission:", file=sys.stderr)
        for item in unfinished:
            print(f"  {item}", file=sys.stderr)
        print(
            "Finish these (make ready), or build a draft with `make evidence DRAFT=1`.",
            file=sys.stderr,
        )
        return 1
    try:
        archive = build(
            root,
            draft=args.draft,
            producers=PRODUCERS if producers is None else producers,
            unfinished=unfinished,
        )
    except PackError as error:
        print(error, file=sys.stderr)
        return error.code
    print(summary(archive, root, time.monotonic() - started))
    if args.draft:
        print(f"DRAFT: {len(unfinished)} unfinished items; not for submission.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
