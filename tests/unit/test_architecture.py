"""docs/ARCHITECTURE.md against the tree: the cross-role variables table and the rooms' imports.

In-process and in about a second: the scan parses the roles' and playbooks' YAML and Jinja, and the
Python files' imports, and runs nothing.
"""

from __future__ import annotations

import ast
import difflib
import re
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests import crossvars

REPO = crossvars.REPO


def test_table_lists_every_cross_role_variable_as_the_tree_has_it():
    """The table in docs/ARCHITECTURE.md is what the scan of the tree gives: every variable that crosses a
    role's boundary, who sets it and who reads it. A new one, a gone one or a new reader fails here."""
    documented = crossvars.documented(crossvars.DOC.read_text())
    generated = crossvars.render(crossvars.scan())
    diff = "\n".join(difflib.unified_diff(documented.splitlines(), generated.splitlines(),
                                          "docs/ARCHITECTURE.md", "the tree", lineterm=""))
    assert documented == generated, (
        "docs/ARCHITECTURE.md's cross-role variables differ from the tree; after checking that the change "
        f"is meant, run `python -m tests.crossvars --write`:\n{diff}")


def test_table_covers_the_facts_roles_share_and_the_reach_ins():
    """What issue 15 counted by hand is in the table: the facts behind `noqa: var-naming[no-role-prefix]`
    and the hostvars reach-in of aws_cli into iam_users' delivered keys."""
    table = {c.name: c for c in crossvars.scan()}
    suppressed = set()
    for path in sorted((REPO / "roles").glob("*/tasks/*.yml")):
        # the suppression is a YAML comment: cut the file into its tasks and read those that carry it
        for chunk in re.split(r"^(?=- )", path.read_text(), flags=re.MULTILINE):
            if "no-role-prefix" in chunk:
                task = (yaml.safe_load(chunk) or [{}])[0]
                suppressed.update(k for k in task.get("ansible.builtin.set_fact") or {} if k != "cacheable")
    assert suppressed, "no suppressed fact found: the scan of task files is broken"
    assert suppressed <= set(table), suppressed - set(table)
    credentials = table["sagelab_iam_user_credentials"]
    assert credentials.set_by == ["iam_users (fact)"]
    assert "aws_cli" in credentials.read_by
    assert table["sagelab_execution_role_arn"].set_by == ["execution_role (fact)"]
    assert "iam_users" in table["sagelab_execution_role_arn"].read_by
    # a role's own variable read by another role crosses too
    assert table["aws_cli_config_dir"].read_by == ["aws_cli", "jupyter_kernel"]
    # the variables the CLI passes are set by it
    assert "src/sagelab/target.py" in table["sagelab_aws_region"].set_by


def test_each_fact_a_role_publishes_is_named_in_its_readme():
    """A `sagelab_*` fact is a role's output: the role's README says it sets it (DESIGN: role READMEs list
    what a role takes and gives)."""
    missing = [f"roles/{setter[:-len(' (fact)')]}/README.md: {c.name}"
               for c in crossvars.scan() for setter in c.set_by
               if setter.endswith(" (fact)") and not setter.startswith("playbooks/")
               and c.name not in (REPO / "roles" / setter[:-len(" (fact)")] / "README.md").read_text()]
    assert not missing, missing


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_scan_finds_a_new_fact_a_reach_in_and_a_borrowed_variable(tmp_path):
    """On a small tree: a fact a role sets without its prefix, a variable one role reads from another, a
    hostvars reach-in, and what stays out (a role's own variables, loop and task variables, magic ones)."""
    root = _tree(tmp_path, {
        "roles/alpha/defaults/main.yml": """
            alpha_dir: "{{ sagelab_home | default(ansible_facts['user_dir']) }}/alpha"
            """,
        "roles/alpha/tasks/main.yml": """
            - name: Probe
              ansible.builtin.command: ["{{ alpha_dir }}/probe", "{{ beta_port }}"]
              register: alpha_probe
              changed_when: false
            - name: Share the result  # noqa: var-naming[no-role-prefix]
              ansible.builtin.set_fact:
                sagelab_alpha_result: "{{ alpha_probe.stdout }}"
              loop: [1]
              loop_control:
                loop_var: alpha_item
              vars:
                alpha_local: "{{ alpha_item }}"
              when: inventory_hostname in groups['all'] and not ansible_check_mode
            """,
        "roles/beta/defaults/main.yml": "beta_port: 8080\n",
        "roles/beta/tasks/main.yml": """
            - name: Use alpha's result
              ansible.builtin.assert:
                that: hostvars['localhost'].get('sagelab_alpha_result') is defined
            """,
        "roles/beta/templates/conf.j2": "{% for p in beta_ports %}{{ p }}{% endfor %}{{ sagelab_tags }}\n",
        "playbooks/site.yml": """
            - name: Site
              hosts: all
              vars:
                site_local: 1
              roles:
                - role: alpha
                  when: sagelab_alpha_result is not defined and site_local
            """,
        "src/sagelab/cli.py": 'VARS = {"sagelab_home": "/home/x"}\n',
    })
    table = {c.name: c for c in crossvars.scan(root)}
    assert set(table) == {"beta_port", "sagelab_alpha_result", "sagelab_home", "sagelab_tags"}
    assert table["beta_port"].set_by == ["beta"] and table["beta_port"].read_by == ["alpha"]
    assert table["sagelab_alpha_result"].set_by == ["alpha (fact)"]
    assert table["sagelab_alpha_result"].read_by == ["beta", "playbooks/site.yml"]
    assert table["sagelab_home"].set_by == ["src/sagelab/cli.py"]
    assert table["sagelab_tags"].set_by == [] and table["sagelab_tags"].read_by == ["beta"]
    rendered = crossvars.render(crossvars.scan(root))
    assert "| `sagelab_tags` | the user (inventory or `-e`) only | `beta` |" in rendered


def test_write_puts_the_table_between_the_markers(tmp_path, monkeypatch):
    doc = tmp_path / "ARCHITECTURE.md"
    doc.write_text(f"# A\n\nbefore\n{crossvars.BEGIN}\nstale\n{crossvars.END}\nafter\n")
    monkeypatch.setattr(crossvars, "DOC", doc)
    monkeypatch.setattr(crossvars, "scan", lambda root=REPO: [crossvars.Crossing("sagelab_x", ["a"], [])])
    crossvars.write()
    text = doc.read_text()
    assert "stale" not in text and text.startswith("# A\n\nbefore\n") and text.endswith("after\n")
    assert crossvars.documented(text) == "| variable | set by | read by |\n| --- | --- | --- |\n" \
                                         "| `sagelab_x` | `a` | nobody |"


# The rooms of the tree (docs/ARCHITECTURE.md, "Rooms"), as the top-level packages each may import
# besides the standard library. The collection's plugins run on managed hosts and in ansible-test's
# environments: ansible, their collections, boto and PyYAML only; never the CLI or the sandbox.
PLUGINS_MAY = {"ansible", "ansible_collections.sagelab.sagemaker", "ansible_collections.amazon.aws",
               "botocore", "boto3", "yaml", "rattler"}
# The CLI drives ansible-runner and reads the collection's files, but imports none of its plugins; moto and
# werkzeug stay in the sandbox process (the CLI starts it, and talks to it over HTTP).
CLI_MAY_NOT = {"moto", "werkzeug", "ansible_collections", "tests"}
# The sandbox is a server of its own: of sagelab it imports only itself.
SANDBOX_MAY_NOT = {"ansible", "ansible_collections", "tests", "ansible_runner"}


def _imports(path: Path) -> set[str]:
    """The absolute imports of a Python file: `ansible_collections.<ns>.<name>` or the package's top."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                 else [])
        for name in names:
            parts = name.split(".")
            found.add(".".join(parts[:3]) if parts[0] == "ansible_collections"
                      else ".".join(parts[:2]) if parts[0] == "sagelab" else parts[0])
    return found - set(sys.stdlib_module_names) - {"__future__"}


def _sandbox(path: Path) -> bool:
    relative = path.relative_to(REPO / "src" / "sagelab")
    return relative.parts[0].startswith("sandbox")


@pytest.mark.parametrize("room", ["plugins", "cli", "sandbox"])
def test_each_room_imports_only_what_it_may(room):
    if room == "plugins":
        files = sorted((REPO / "plugins").glob("**/*.py"))
    else:
        files = [p for p in sorted((REPO / "src" / "sagelab").glob("**/*.py"))
                 if _sandbox(p) == (room == "sandbox")]
    assert files
    wrong = {}
    for path in files:
        imports = _imports(path)
        if room == "plugins":
            bad = {i for i in imports if i not in PLUGINS_MAY}
        elif room == "cli":
            bad = {i for i in imports if i.split(".")[0] in CLI_MAY_NOT}
        else:
            bad = {i for i in imports if i.split(".")[0] in SANDBOX_MAY_NOT
                   or (i.startswith("sagelab.") and not i.startswith("sagelab.sandbox"))}
        if bad:
            wrong[str(path.relative_to(REPO))] = sorted(bad)
    assert not wrong, f"imports outside the {room} room's bounds (docs/ARCHITECTURE.md, Rooms): {wrong}"


def test_architecture_is_linked_from_the_readme_and_contributing():
    for doc in ("README.md", "CONTRIBUTING.md"):
        assert "docs/ARCHITECTURE.md" in (REPO / doc).read_text(), doc
