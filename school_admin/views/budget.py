"""The AP budget the governors approved, year by year, and where the school stands against this year's.

The headteacher owns the budget (the policy), so only they enter or change it. The SLT and the AP lead may read it:
the SLT oversees provision, and the AP lead commissions the placements that spend it. The page shows money and
counts of placements, never pupils.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import Optional

from school_admin import bp
from shared import roles
from shared.auth.access import access, current_organisation
from shared.clock import local_now
from shared.forms import DayMonthYearField
from shared.services.reports import budget as budgets
from shared.web import apply

BUDGET_READERS = (roles.HEADTEACHER, roles.SLT, roles.AP_LEAD, roles.GOVERNOR)  # governors approve it


class BudgetForm(FlaskForm):
    # Text, not numbers: the service reads "2026" and "85,000.50" and says in plain English what is wrong.
    year = StringField(
        "School year starting in",
        widget=GovTextInput(),
        description="The year the school year starts, for example 2026 for September 2026 to August 2027",
    )
    amount = StringField(
        "Budget approved by the governors",
        widget=GovTextInput(),
        description="In pounds, for example 85,000 or 85000.50",
    )
    approved_on = DayMonthYearField(
        "Date the governors approved it (optional)",
        description="For example, 14 7 2026",
        validators=[Optional()],
    )
    submit = SubmitField("Save budget", widget=GovSubmitInput())


def _page(form: BudgetForm) -> str:
    school = current_organisation()
    return render_template(
        "school_admin/budget/budget.html",
        form=form,
        budgets=budgets.budgets(school.id),
        position=budgets.budget_position(school.id, local_now().date()),
        pounds=budgets.pounds,
        year_label=budgets.year_label,
        can_edit=current_user.has_role(roles.HEADTEACHER),
    )


@bp.get("/budget")
@access(roles=BUDGET_READERS)
def ap_budget():
    """The budgets and this year's position; for the headteacher, the form (filled in for ?year=2026 to change one)."""
    school = current_organisation()
    today = local_now().date()
    year = request.args.get("year", "")
    chosen = budgets.budget_for(school.id, int(year)) if year.isdigit() and len(year) == 4 else None
    if chosen is not None:
        form = BudgetForm(
            None,
            data={
                "year": str(chosen.year_starting),
                "amount": budgets.pounds(chosen.amount_pence).removeprefix("£"),
                "approved_on": chosen.approved_on,
            },
        )
    else:
        form = BudgetForm(None, data={"year": str(budgets.school_year_of(today))})
    return _page(form)


@bp.post("/budget")
@access(roles={roles.HEADTEACHER})
def save_ap_budget():
    form = BudgetForm()
    if form.validate_on_submit() and apply(
        form,
        lambda: budgets.save_budget(
            current_organisation(),
            year=form.year.data,
            amount=form.amount.data,
            approved_on=form.approved_on.data,
            by=current_user._get_current_object(),
            today=local_now().date(),
        ),
        field="amount",
    ):
        flash(f"Budget saved for the {budgets.year_label(int(form.year.data.strip()))} school year")
        return redirect(url_for("school_admin.ap_budget"))
    return _page(form)
