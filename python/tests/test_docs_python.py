"""docs/python.md as a test: its python blocks run in order, in one namespace, as a reader would paste them."""
import os
import re

SOURCE = os.environ["ATTNCHECK_SOURCE_DIR"]


def test_every_python_block_of_docs_python_md_runs(tmp_path, monkeypatch):
    text = open(os.path.join(SOURCE, "docs", "python.md")).read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 10
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/python.md block {i + 1}", "exec"), namespace)
