"""Report files for a fleet: JUnit XML (one test case per host and check, for CI systems) and one
self-contained HTML page (hosts x checks, failures with their reasons, versions).

Both are built from the same JSON document the CLI prints with --json (report.build_document), so a
host that failed or was unreachable before the validate role ran still appears, as a failed case.
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sagelab.report import VERSION_PACKAGES

Case = tuple[str, str, bool, str]  # host, check, ok, detail


def cases(doc: dict[str, Any]) -> list[Case]:
    """One case per host and check; a host without a validation report gets one case saying why."""
    found: list[Case] = []
    for host, h in doc["hosts"].items():
        if h["unreachable"]:
            found.append((host, "host reachable", False,
                          "; ".join(f["msg"] for f in h["failures"]) or "unreachable"))
            continue
        for failure in h["failures"]:
            found.append((host, f"task: {failure['task']}", False, failure["msg"]))
        checks = (h.get("validation") or {}).get("checks") or []
        found += [(host, str(c.get("name", "?")), bool(c.get("ok")), str(c.get("detail", "")))
                  for c in checks]
        if not checks and not h["failures"]:
            found.append((host, "validation report", False, "the validate role wrote no report"))
    return found


def junit_xml(doc: dict[str, Any]) -> bytes:
    found = cases(doc)
    suite = ET.Element("testsuite", name="sagelab validate", tests=str(len(found)),
                       failures=str(sum(not ok for _unused, _unused, ok, _unused in found)), errors="0",
                       timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    for host, check, ok, detail in found:
        case = ET.SubElement(suite, "testcase", classname=host, name=check)
        if ok:
            ET.SubElement(case, "system-out").text = detail
        else:
            ET.SubElement(case, "failure", message=detail[:500]).text = detail
    ET.indent(suite)
    return ET.tostring(suite, encoding="utf-8", xml_declaration=True)


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}
th{background:#f3f3f3}.ok{background:#e6f4ea}.bad{background:#fce8e6}.none{color:#999}
h1{font-size:1.4em}.summary{font-weight:bold}
"""


def html_page(doc: dict[str, Any]) -> str:
    found = cases(doc)
    hosts = list(doc["hosts"])
    checks = list(dict.fromkeys(check for _unused, check, _unused, _unused in found))
    by = {(host, check): (ok, detail) for host, check, ok, detail in found}
    bad_hosts = sorted({host for host, _unused, ok, _unused in found if not ok})
    esc = html.escape
    rows = []
    for host in hosts:
        validation = doc["hosts"][host].get("validation") or {}
        versions = validation.get("versions") or {}
        cells = [f"<th>{esc(host)}</th>"]
        cells += [f"<td>{esc(str(versions.get(p, '-')))}</td>" for p in VERSION_PACKAGES]
        for check in checks:
            if (host, check) not in by:
                cells.append('<td class="none">-</td>')
                continue
            ok, detail = by[(host, check)]
            mark = "ok" if ok else "FAILED"
            cells.append(f'<td class="{"ok" if ok else "bad"}" title="{esc(detail)}">{mark}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f"<th>{esc(c)}</th>" for c in ("host", *VERSION_PACKAGES, *checks))
    failures = "".join(f"<li><b>{esc(host)}</b> {esc(check)}: {esc(detail)}</li>"
                       for host, check, ok, detail in found if not ok)
    summary = (f"{len(hosts)} hosts, {len(hosts) - len(bad_hosts)} passed, {len(bad_hosts)} failed"
               f" ({len(found)} checks)")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>sagelab validation</title><style>{_STYLE}</style></head><body>"
        f"<h1>sagelab validation: {esc(doc['playbook'])}</h1>"
        f"<p class=\"summary\">{esc(summary)}</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + (f"<h2>Failures</h2><ul>{failures}</ul>" if failures else "<p>Every check passed.</p>")
        + f"<p class=\"none\">status {esc(doc['status'])} (rc {doc['rc']}), artifacts {esc(doc['artifacts'])}"
        "</p></body></html>\n"
    )


def write(doc: dict[str, Any], folder: Path) -> list[Path]:
    """Write junit.xml and report.html (and the JSON document) into folder; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"junit.xml": junit_xml(doc), "report.html": html_page(doc).encode(),
             "report.json": (json.dumps(doc, indent=2) + "\n").encode()}
    for name, data in paths.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in paths]
