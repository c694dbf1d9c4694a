"""Under CI=true a skipped test fails the run: nothing is silently left out. With pytest-xdist the workers' reports
reach the controller's terminal reporter, so its count includes every worker's skips."""

from __future__ import annotations

import os


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("CI", "").lower() == "true":
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
        if skipped:
            if reporter:
                reporter.write_line(f"CI=true: {skipped} skipped test(s) count as a failure", red=True)
            session.exitstatus = 1
