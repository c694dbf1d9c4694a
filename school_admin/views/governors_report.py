"""The governors' report on alternative provision, as a page and as a PDF, for a period (default: the school year so
far).

Readers: the headteacher (who reports to governors), the AP lead and SLT, and the DSL too: the report holds no
pupil-level data (counts with small numbers suppressed, percentages and money), and every other report on the
reports index is open to the DSL. Each opening and each download is audited (which report; for the PDF, its pages).
"""

from __future__ import annotations

from flask import Response, render_template, request, url_for
from flask_login import current_user

from school_admin import bp
from school_admin.views.attendance import DateRangeForm
from school_admin.views.reports import REPORT_READERS
from shared import roles
from shared.auth.access import access, current_organisation
from shared.charts import bar_chart_svg
from shared.clock import local_now
from shared.services.reports import budget as budgets
from shared.services.reports import governors
from shared.services.reports.governors_pdf import as_pdf
from shared.services.reports.inspection import school_year_start
from shared.services.reports.usage import record_exported, record_viewed

# Governors receive the report (no pupil names, small numbers suppressed), so they may open it themselves.
GOVERNORS_REPORT_READERS = (*REPORT_READERS, roles.GOVERNOR)
LONGEST_DAYS = 366  # one school year, as the other reports


def _form() -> tuple[DateRangeForm, bool]:
    """The dates asked for (the school year so far when none are), and whether they are right."""
    today = local_now().date()
    if not request.args:
        form = DateRangeForm(None)
        form.start.data, form.end.data = school_year_start(today), today
        return form, True
    form = DateRangeForm(request.args)
    return form, form.validate() and form.check_range(longest_days=LONGEST_DAYS)


def _page(form: DateRangeForm, report=None) -> Response:
    charts, pdf_url = {}, None
    if report is not None:
        pdf_url = url_for(
            "school_admin.governors_report_pdf",
            **{"from": report.period.start.isoformat(), "to": report.period.end.isoformat()},
        )
        charts = {key: bar_chart_svg(chart) for key, chart in governors.report_charts(report).items()}
    response = Response(
        render_template(
            "school_admin/reports/governors.html",
            form=form,
            report=report,
            charts=charts,
            pdf_url=pdf_url,
            pounds=budgets.pounds,
            rule=governors.suppression_rule(governors.suppress_below()),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/reports/governors")
@access(roles=GOVERNORS_REPORT_READERS)
def governors_report():
    form, ok = _form()
    if not ok:
        return _page(form)
    school = current_organisation()
    report = governors.governors_report(school.id, form.start.data, form.end.data, local_now().date())
    record_viewed(school, "governors", by=current_user)
    return _page(form, report)


@bp.get("/reports/governors.pdf")
@access(roles=GOVERNORS_REPORT_READERS)
def governors_report_pdf():
    """The PDF for the dates asked (the school year so far without dates); dates that are not right: the page with
    the errors."""
    form, ok = _form()
    if not ok:
        return _page(form)
    school = current_organisation()
    start, end = form.start.data, form.end.data
    body, pages = as_pdf(governors.governors_report(school.id, start, end, local_now().date()))
    # "rows" of a PDF: its pages (the schema's one measure of an export's size; never its content).
    record_exported(school, "governors", rows=pages, by=current_user)
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="ap-governors-report-{start.isoformat()}-to-{end.isoformat()}.pdf"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
