import os
import stat

import pytest

from pizza_game.storage.store import LocalStore, StorageError


def test_put_get_list_delete(tmp_path):
    store = LocalStore(tmp_path)
    store.put("a/2024/05/04/x.json", b"{}", "application/json")
    store.put("a/2024/05/05/y.json", b"[]", "application/json")
    store.put("b/z.csv", b"h\n", "text/csv")
    assert store.get("a/2024/05/04/x.json") == b"{}"
    assert store.list("a/") == ["a/2024/05/04/x.json", "a/2024/05/05/y.json"]
    assert store.list_dirs("a/2024/05/") == ["a/2024/05/04/", "a/2024/05/05/"]
    assert store.exists("b/z.csv")
    store.delete("b/z.csv")
    store.delete("b/z.csv")
    assert not store.exists("b/z.csv")
    with pytest.raises(KeyError):
        store.get("b/z.csv")
    assert store.uri("b/z.csv") == (tmp_path / "b/z.csv").as_uri()


def test_overwrite_is_atomic_and_leaves_no_temp_files(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)
    store.put("k.json", b"old", "application/json")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        store.put("k.json", b"new" * 1000, "application/json")
    monkeypatch.undo()
    assert store.get("k.json") == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.json"]


def test_keys_cannot_escape_the_root(tmp_path):
    with pytest.raises(StorageError, match="escapes"):
        LocalStore(tmp_path / "root").put("../outside.json", b"{}", "application/json")


def test_keys_cannot_escape_through_a_folder_already_written(tmp_path):
    store = LocalStore(tmp_path / "root")
    store.put("a/x.json", b"{}", "application/json")
    for key in ("a/..", "a/../../outside.json", "a/"):
        with pytest.raises(StorageError):
            store.put(key, b"{}", "application/json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["root"]


def test_reads_cannot_escape_the_root_either_once_a_folder_is_known(tmp_path):
    (tmp_path / "outside.json").write_bytes(b"secret")
    store = LocalStore(tmp_path / "root")
    store.put("a/x.json", b"{}", "application/json")
    assert store.get("a/x.json") == b"{}"  # the folder "a" is now resolved and known
    for key in ("../outside.json", "a/../../outside.json", "a/../a/../../outside.json"):
        with pytest.raises(StorageError, match="escapes"):
            store.get(key)
        with pytest.raises(StorageError, match="escapes"):
            store.exists(key)


def test_a_folder_removed_after_a_write_is_created_again(tmp_path):
    store = LocalStore(tmp_path)
    store.put("a/2024/x.json", b"1", "application/json")
    (tmp_path / "a/2024/x.json").unlink()
    (tmp_path / "a/2024").rmdir()
    store.put("a/2024/y.json", b"2", "application/json")
    assert store.get("a/2024/y.json") == b"2"
    assert stat.S_IMODE((tmp_path / "a/2024/y.json").stat().st_mode) == 0o644


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_root_fails_the_check_with_one_clear_message(tmp_path):
    root = tmp_path / "ro"
    root.mkdir()
    root.chmod(stat.S_IRUSR | stat.S_IXUSR)
    with pytest.raises(StorageError, match=r"not writable.*PIZZA_GAME_DATA_DIR"):
        LocalStore(root).check()


def test_a_file_where_the_root_should_be_fails_the_check(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="not writable"):
        LocalStore(tmp_path / "file").check()
