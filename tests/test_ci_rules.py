"""Under CI=true a skipped test fails the run: nothing is silently left out."""

pytest_plugins = ["pytester"]


def _run(pytester, monkeypatch, ci: str):
    monkeypatch.setenv("CI", ci)
    pytester.makeconftest("from tests.support.ci import pytest_sessionfinish\n")
    pytester.makepyfile(
        "import pytest\n\ndef test_runs():\n    assert 1 + 1 == 2\n\n"
        "@pytest.mark.skip(reason='left out')\ndef test_left_out():\n    pass\n"
    )
    return pytester.runpytest_inprocess("-p", "no:cacheprovider")


def test_a_skip_fails_the_run_in_ci(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, "true")
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*CI=true: 1 skipped test(s) count as a failure*"])


def test_a_skip_is_only_reported_outside_ci(pytester, monkeypatch):
    result = _run(pytester, monkeypatch, "")
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == 0


def test_a_skip_on_an_xdist_worker_fails_the_run_in_ci(pytester, monkeypatch):
    """`make test` runs on pytest-xdist workers: their skips reach the controller, which fails the run."""
    from pathlib import Path

    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[1]))
    pytester.makeconftest("from tests.support.ci import pytest_sessionfinish\n")
    pytester.makepyfile(
        "import pytest\n\ndef test_runs():\n    assert 1 + 1 == 2\n\n"
        "@pytest.mark.skip(reason='left out')\ndef test_left_out():\n    pass\n"
    )
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*CI=true: 1 skipped test(s) count as a failure*"])
