"""`keras_initact.files`: atomic writes whose temporaries never match what
readers glob, and files with the mode `open` gives."""

import os
import stat

import pytest


class TestFiles:
    def test_temporaries_never_match_what_readers_glob(self, tmp_path):
        from keras_initact.files import atomic_path, is_temporary

        target = tmp_path / "cells" / "a.json"
        with atomic_path(target) as tmp:
            name = os.path.basename(tmp)
            assert name.startswith(".a.json.") and name.endswith(".tmp")
            assert is_temporary(name) and not is_temporary("a.json")
            assert os.path.exists(tmp) and not target.exists()
            with open(tmp, "w") as f:
                f.write("{}")
        assert target.read_text() == "{}"
        assert os.listdir(tmp_path / "cells") == ["a.json"]
        with atomic_path(tmp_path / "m.keras", suffix=".keras") as tmp:
            assert tmp.endswith(".tmp.keras") and is_temporary(tmp)
        with pytest.raises(RuntimeError):
            with atomic_path(target) as tmp:
                raise RuntimeError("killed")
        assert target.read_text() == "{}" and not os.path.exists(tmp)

    def test_files_get_the_mode_open_gives(self, tmp_path):
        import matplotlib.pyplot as plt

        from keras_initact.files import save_figure, write_text

        previous = os.umask(0o027)
        try:
            write_text(tmp_path / "a.md", "x")
            fig = plt.figure()
            save_figure(fig, tmp_path / "a.png")
            plt.close(fig)
            with open(tmp_path / "plain.txt", "w") as f:
                f.write("x")
        finally:
            os.umask(previous)
        for name in ("a.md", "a.png", "plain.txt"):
            assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o640
