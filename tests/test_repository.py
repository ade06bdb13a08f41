"""Repository-wide checks: manifests, translations, generated files are current."""

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADDONS = sorted(p.parent for p in ROOT.glob("hocbaso_odoo*/__manifest__.py"))


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_manifest_conventions(addon):
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text(encoding="utf-8"))
    assert manifest["license"] == "LGPL-3"
    assert manifest["version"].startswith("18.0.") and len(manifest["version"].split(".")) == 5
    for data_file in manifest.get("data", []):
        assert (addon / data_file).is_file(), f"{addon.name}: {data_file} listed but missing"
    assert (addon / "tests" / "__init__.py").is_file(), f"{addon.name} has no tests"
    assert (addon / "readme" / "DESCRIPTION.md").is_file()


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_vietnamese_translation_complete(addon):
    po = addon / "i18n" / "vi.po"
    assert po.is_file(), f"{addon.name} has no i18n/vi.po: the users read Vietnamese"
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "check_po.py"), str(po)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_code_strings_have_code_entries(addon):
    """Odoo loads the translations of _(), env._() and _t() only from vi.po entries marked
    ``#. odoo-python`` / ``#. odoo-javascript``: a msgid translated for a view or a field alone
    stays English in code (the score template read "School", "Class" in Vietnamese)."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "check_po.py"), "--code",
                             str(addon)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_check_finds_a_string_without_code_entry(tmp_path):
    addon = tmp_path / "hocbaso_odoo_probe"
    (addon / "i18n").mkdir(parents=True)
    (addon / "static" / "src").mkdir(parents=True)
    (addon / "probe.py").write_text(
        "from odoo import _\n\ndef f(env):\n    return _('Class'), env._('Coded'), "
        "env._('Fine')\n", encoding="utf-8")
    (addon / "static" / "src" / "probe.js").write_text(
        'const a = _t(\n    "Web " + "only", { x: 1 });\n', encoding="utf-8")
    (addon / "i18n" / "vi.po").write_text(
        '#. module: hocbaso_odoo_probe\n#: model:ir.model,name:hocbaso_odoo_probe.model_x\n'
        'msgid "Class"\nmsgstr "Lớp"\n\n'
        '#. module: hocbaso_odoo_probe\n#. odoo-python\n'
        '#: code:addons/hocbaso_odoo_probe/probe.py:0\nmsgid "Fine"\nmsgstr "Tốt"\n',
        encoding="utf-8")
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "check_po.py"), "--code",
                             str(addon)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "'Class'" in result.stdout and "lacks '#. odoo-python'" in result.stdout
    assert "'Coded'" in result.stdout and "not in vi.po" in result.stdout
    assert "'Web only'" in result.stdout
    assert "'Fine'" not in result.stdout


def test_terms_spelt_as_the_circulars(tmp_path):
    """The printed record says "Học kì" as TT22/2021 and TT27/2020 do: the screens too."""
    po = tmp_path / "vi.po"
    po.write_text(
        '#. module: hocbaso_odoo_probe\n#: model:ir.model,name:hocbaso_odoo_probe.model_x\n'
        'msgid "Semester 1 – Mid-term"\nmsgstr "Học kỳ I – Giữa kỳ"\n\n'
        '#. module: hocbaso_odoo_probe\n#: model:ir.model,name:hocbaso_odoo_probe.model_y\n'
        'msgid "Semester 2"\nmsgstr "Học kì II"\n\n'
        '#. module: hocbaso_odoo_probe\n#: model:ir.model,name:hocbaso_odoo_probe.model_z\n'
        'msgid "Anyone"\nmsgstr "Bất kỳ ai"\n', encoding="utf-8")
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "check_po.py"), str(po)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "spell 'Học kỳ' with kì" in result.stdout
    assert "'Semester 2'" not in result.stdout and "'Anyone'" not in result.stdout


@pytest.mark.parametrize("addon", ADDONS, ids=lambda p: p.name)
def test_pot_in_step_with_the_translation(addon):
    """Odoo merges vi.po with the .pot before loading it: an entry missing from the .pot is
    dropped as obsolete, and the screen stays in English although vi.po is right."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "sync_pot.py"), "--check",
                             str(addon)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr + \
        "\nrun tools/sync_pot.py to write the .pot from vi.po"


def test_library_messages_listed_for_translation():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_lib_messages.py"), "--check"]
    )
    assert result.returncode == 0, "run tools/gen_lib_messages.py and update vi.po"


def test_library_messages_translated():
    """Every message the plain-Python layer raises has its Vietnamese text in vi.po (the
    users read Vietnamese; lib_message falls back to the English template without it)."""
    import polib

    translated = {
        entry.msgid
        for entry in polib.pofile(str(ROOT / "hocbaso_odoo" / "i18n" / "vi.po"))
        if entry.msgstr and not entry.obsolete
    }
    tree = ast.parse(
        (ROOT / "hocbaso_odoo" / "tools" / "lib_messages.py").read_text(encoding="utf-8")
    )
    listed = [node.args[0].value for node in ast.walk(tree) if isinstance(node, ast.Call)
              and getattr(node.func, "id", "") == "_lt"]
    assert len(listed) > 100
    missing = [message for message in listed if message not in translated]
    assert not missing, "translate in hocbaso_odoo/i18n/vi.po: %s" % missing


def test_no_odoo_import_in_plain_package():
    for path in (ROOT / "hocbaso").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n == "odoo" or n.startswith("odoo.") for n in names), path


def test_subject_data_generated_from_catalogue():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_subject_data.py"), "--check"]
    )
    assert result.returncode == 0, (
        "run tools/gen_subject_data.py after changing hocbaso/subjects.py"
    )


def test_sample_documents_current_and_valid():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_samples.py"), "--check"])
    assert result.returncode == 0, "run tools/gen_samples.py"
    samples = sorted((ROOT / "data" / "samples").glob("hocbaso-*.xml"))
    assert {s.name[:11] for s in samples} == {"hocbaso-1.0", "hocbaso-1.1"}
    for sample in samples:
        xsd = ROOT / "data" / "schemas" / (sample.name[:11] + ".xsd")  # hocbaso-1.x-...
        check = subprocess.run(["xmllint", "--noout", "--schema", str(xsd), str(sample)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


def test_shipped_schemas_are_the_library_schemas():
    shipped = sorted(p.name for p in (ROOT / "data" / "schemas").glob("*.xsd"))
    assert shipped == ["hocbaso-1.0.xsd", "hocbaso-1.1.xsd"]
    for name in shipped:
        assert (ROOT / "data" / "schemas" / name).read_bytes() == (
            ROOT / "hocbaso" / "xmlprofile" / "schemas" / name).read_bytes(), name
