"""Reports leaders are asked for: the inspection pack and the school census's AP placement items.

Headteacher, AP lead, SLT and DSL only: the pack names the pupils placed at each provider, and the census file holds
UPNs and legal names. Every opening of the pack and every download is audited (which report and how many rows,
never the content)."""

from datetime import date

from flask import Response, redirect, render_template, request, url_for
from flask_login import current_user

from school_admin import bp
from school_admin.views.attendance import DateRangeForm
from shared import roles
from shared.auth.access import access, current_organisation
from shared.clock import local_now
from shared.services.reports import inspection as reports
from shared.services.reports import usage

REPORT_READERS = (roles.HEADTEACHER, roles.AP_LEAD, roles.SLT, roles.DSL)


def _download(body: str, filename: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _year_so_far() -> tuple[date, date, date]:
    today = local_now().date()
    return reports.school_year_start(today), today, today


@bp.get("/reports")
@access(roles=REPORT_READERS)
def reports_index():
    return render_template("school_admin/reports/index.html")


@bp.get("/reports/inspection")
@access(roles=REPORT_READERS)
def inspection_pack():
    start, end, today = _year_so_far()
    school = current_organisation()
    pack = reports.inspection_pack(school.id, start, end, today)
    usage.record_viewed(school, "inspection", by=current_user)
    response = Response(
        render_template("school_admin/reports/inspection.html", pack=pack, start=start, end=end, today=today)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/reports/inspection.csv")
@access(roles=REPORT_READERS)
def inspection_pack_csv():
    start, end, today = _year_so_far()
    school = current_organisation()
    body, rows = reports.inspection_csv(reports.inspection_pack(school.id, start, end, today), start, end)
    usage.record_exported(school, "inspection", rows=rows, by=current_user)
    return _download(body, f"ap-inspection-pack-{today.isoformat()}.csv")


def _census_form(form: DateRangeForm):
    return render_template(
        "school_admin/reports/census.html",
        form=form,
        full_time_hours=reports.CENSUS_FULL_TIME_HOURS,
        reasons=reports.CENSUS_REASONS.values(),
    )


@bp.get("/reports/census")
@access(roles=REPORT_READERS)
def census():
    form = DateRangeForm(None)
    form.start.data, form.end.data, _ = _year_so_far()
    return _census_form(form)


@bp.get("/reports/census.csv")
@access(roles=REPORT_READERS)
def census_csv():
    """The CSV for the dates asked; without dates, the form; with dates that are not right, the form with errors."""
    if not request.args:
        return redirect(url_for("school_admin.census"))
    form = DateRangeForm(request.args)
    if not (form.validate() and form.check_range()):
        return _census_form(form)
    start, end = form.start.data, form.end.data
    school = current_organisation()
    rows = reports.census_rows(school.id, start, end)
    usage.record_exported(school, "census", rows=len(rows), by=current_user)
    return _download(reports.census_csv(rows), f"ap-census-{start.isoformat()}-to-{end.isoformat()}.csv")
