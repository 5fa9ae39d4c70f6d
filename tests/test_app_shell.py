import subprocess
import sys

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def test_core_never_imports_streamlit():
    code = ("import sys, importlib, pkgutil, fmnist_core\n"
            "for m in pkgutil.iter_modules(fmnist_core.__path__):\n"
            "    importlib.import_module('fmnist_core.' + m.name)\n"
            "assert 'streamlit' not in sys.modules, 'fmnist_core imported streamlit'\n")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_home_page_renders():
    at = AppTest.from_file("../app.py", default_timeout=60).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Decision boundaries" in text and "Fashion-MNIST" in text
    assert any("Device" in c.value for c in at.sidebar.caption)
