"""MMLogger and print_log (LOG-13..17, LOG-24; scenarios T22, T23)."""
import logging
import os
import re
import subprocess
import sys

import pytest

from engine.logging import MMFormatter, MMLogger, print_log
from engine.logging.logger import _rank_file, _use_color

TERMINAL_TIME = r"\d{2}/\d{2} \d{2}:\d{2}:\d{2}"
FILE_TIME = r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}"


def _close(logger):
    for handler in logger.handlers:
        handler.close()


def test_terminal_and_file_formats(tmp_path, capsys):
    log_file = tmp_path / "tmp.log"
    logger = MMLogger.get_instance("t22", log_file=str(log_file))

    def f():
        logger.error("division by zero")
        return f.__code__.co_firstlineno + 1

    logger.info("this is a test")
    line_no = f()
    _close(logger)
    lines = log_file.read_text().splitlines()
    assert re.fullmatch(FILE_TIME + r" - mmengine - INFO - this is a test", lines[0])
    assert re.fullmatch(FILE_TIME + re.escape(f" - mmengine - ERROR - {__file__} - f - {line_no} - "
                                              "division by zero"), lines[1])
    out = capsys.readouterr().out.splitlines()
    assert re.fullmatch(TERMINAL_TIME + r" - mmengine - INFO - this is a test", out[0])
    error_tail = f" - mmengine - ERROR - {__file__} - f - {line_no} - division by zero"
    assert re.fullmatch(TERMINAL_TIME + re.escape(error_tail), out[1])
    assert "\033[" not in "".join(out)  # captured output is not a tty: no colour


def test_file_mode_and_nested_folder(tmp_path):
    log_file = tmp_path / "a" / "b" / "run.log"
    log_file.parent.mkdir(parents=True)
    log_file.write_text("old line\n")
    logger = MMLogger.get_instance("file_mode_w", log_file=str(log_file), file_mode="w")
    logger.info("new")
    _close(logger)
    assert "old line" not in log_file.read_text()
    log_file2 = tmp_path / "c" / "run.log"  # folder created on demand
    logger = MMLogger.get_instance("file_mode_a", log_file=str(log_file2), file_mode="a")
    logger.info("x")
    _close(logger)
    assert log_file2.read_text().endswith(" - mmengine - INFO - x\n")


def test_log_file_is_utf8_whatever_the_locale(tmp_path):
    # a plain C locale (UTF-8 mode and locale coercion off): the default codec is ASCII
    code = (
        "import sys\n"
        "sys.stdout.reconfigure(encoding='utf-8')  # the console is the terminal's business\n"
        "from engine.logging import MMLogger\n"
        "logger = MMLogger.get_instance('utf8', log_file=sys.argv[1], log_level='WARNING')\n"
        "logger.warning('classes: \\u732b, caf\\xe9')\n"
    )
    env = dict(os.environ, LC_ALL="C", LANG="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0")
    log_file = tmp_path / "run.log"
    proc = subprocess.run([sys.executable, "-c", code, str(log_file)], env=env,
                          capture_output=True, text=True, encoding="utf-8", errors="replace")
    assert proc.returncode == 0, proc.stderr
    assert "Logging error" not in proc.stderr
    assert log_file.read_text(encoding="utf-8").endswith("WARNING - classes: 猫, café\n")


def test_log_level_filters(tmp_path, capsys):
    log_file = tmp_path / "lvl.log"
    logger = MMLogger.get_instance("lvl", log_file=str(log_file), log_level="WARNING")
    logger.info("hidden")
    logger.warning("shown")
    _close(logger)
    assert "hidden" not in log_file.read_text() and "shown" in log_file.read_text()
    out = capsys.readouterr().out
    assert "hidden" not in out and "WARNING - shown" in out
    with pytest.raises(ValueError, match="log_level"):
        MMLogger("bad_level", log_level="LOUD")


def test_names_and_independence_from_stdlib(capsys):
    logger = MMLogger.get_instance(name="MMLogger", logger_name="Logger")
    assert logger.name == "Logger"
    assert logger.instance_name == "MMLogger"
    assert logger is not logging.getLogger("Logger")
    assert MMLogger.get_current_instance() is logger
    logging.getLogger().setLevel(logging.CRITICAL)  # third-party config does not affect it
    try:
        logger.info("still here")
    finally:
        logging.getLogger().setLevel(logging.WARNING)
    assert " - Logger - INFO - still here" in capsys.readouterr().out
    with pytest.raises(AssertionError):
        MMLogger.get_instance("MMLogger", log_level="DEBUG")


def test_print_log(capsys):
    logger = MMLogger.get_instance("print_log_logger")
    print_log("to current", logger="current")
    assert "INFO - to current" in capsys.readouterr().out
    print_log("to named", logger="print_log_logger", level=logging.WARNING)
    assert "WARNING - to named" in capsys.readouterr().out
    print_log("quiet", logger="silent")
    assert capsys.readouterr().out == ""
    print_log("plain")
    assert capsys.readouterr().out == "plain\n"
    std = logging.getLogger("test_print_log_std")
    std.addHandler(logging.StreamHandler())
    try:
        print_log("to stdlib", logger=std, level=logging.ERROR)
    finally:
        std.handlers.clear()
    assert "to stdlib" in capsys.readouterr().err
    with pytest.raises(ValueError, match="MMLogger: missing has not been created!"):
        print_log("x", logger="missing")
    with pytest.raises(TypeError):
        print_log("x", logger=123)
    assert logger is MMLogger.get_current_instance()


def test_no_propagation_and_no_last_resort(capsys):
    logger = MMLogger("no_handlers")
    logger.handlers.clear()
    logger.error("nowhere")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_set_level_and_debug(tmp_path, capsys):
    log_file = tmp_path / "debug.log"
    logger = MMLogger.get_instance("debug_logger", log_file=str(log_file), log_level="DEBUG")
    logger.debug("debug record")
    # Lower layers log through the stdlib `engine` logger; their records reach the run's log.
    logging.getLogger("engine.registry.test").debug('Get class `X` from "x" registry in "engine"')
    logging.getLogger("engine.fileio.test").info("lower layer info")
    logging.getLogger("unrelated.lib").warning("not ours")
    logger.setLevel("INFO")
    logger.debug("filtered now")
    logging.getLogger("engine.registry.test").debug("filtered lower")
    _close(logger)
    text = log_file.read_text()
    assert "DEBUG - debug record" in text
    # ... under the run logger's name, as in the seed's DEBUG sample (§18.3)
    assert ' - mmengine - DEBUG - Get class `X` from "x" registry in "engine"' in text
    assert " - mmengine - INFO - lower layer info" in text
    assert "engine.registry.test" not in text
    assert "not ours" not in text
    assert "filtered" not in text
    assert logger.level == logging.INFO


def test_rank_file_names():
    assert _rank_file("tmp.log", 1) == "tmp_rank1.log"
    assert _rank_file("/a/b/exp_name.log", 63) == "/a/b/exp_name_rank63.log"
    assert _rank_file("/a/b/noext", 2) == "/a/b/noext_rank2"


def test_colour_only_on_a_tty(monkeypatch):
    master, slave = os.openpty()
    try:
        with open(slave, "w") as tty, open(os.devnull, "w") as not_tty:
            monkeypatch.delenv("NO_COLOR", raising=False)
            assert _use_color(tty) is True
            assert _use_color(not_tty) is False
            monkeypatch.setenv("NO_COLOR", "1")
            assert _use_color(tty) is False
    finally:
        os.close(master)
    record = logging.LogRecord("mmengine", logging.WARNING, __file__, 1, "careful", None, None)
    coloured = MMFormatter(color=True, datefmt="%m/%d %H:%M:%S").format(record)
    assert "\033[5;4;33mWARNING\033[0m - careful" in coloured
    plain = MMFormatter(color=False, datefmt="%m/%d %H:%M:%S").format(record)
    assert plain.endswith(" - mmengine - WARNING - careful")


def test_get_current_instance_in_fresh_process_creates_mmengine():
    code = ("from engine.logging import MMLogger, print_log; "
            "print(MMLogger.get_current_instance().instance_name); "
            "print_log('via current', logger='current')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0] == "mmengine"
    assert lines[1].endswith(" - mmengine - INFO - via current")


def test_set_level_clears_the_enabled_cache():
    logger = MMLogger.get_instance("cache_logger", log_level="INFO")
    # the logger itself is NOTSET (its handlers filter at INFO), as in the reference
    assert logger.level == logging.NOTSET and logger.handlers[0].level == logging.INFO
    assert logger.isEnabledFor(logging.INFO) is True
    assert logger.isEnabledFor(logging.DEBUG) is False  # no handler takes DEBUG
    logger.handlers[0].setLevel(logging.DEBUG)
    assert logger.isEnabledFor(logging.DEBUG) is True
    logger.setLevel("WARNING")
    assert logger.isEnabledFor(logging.INFO) is False  # the logger's own level, cached
    logger.setLevel(logging.DEBUG)
    assert logger.isEnabledFor(logging.DEBUG) is True


def test_a_record_no_handler_takes_is_not_built(monkeypatch):
    logger = MMLogger.get_instance("quiet_logger", log_level="WARNING")

    def no_record(*args, **kwargs):
        raise AssertionError("a record was built for a filtered level")

    monkeypatch.setattr(logger, "findCaller", no_record)
    logger.info("filtered")  # the handlers are at WARNING
    with pytest.raises(AssertionError, match="a record was built"):
        logger.warning("written")
