"""Issue 16: the parts of pages kept per process for the values they are drawn from (shared.drawings): the page chrome
(shared.page_chrome) and the homes' "Needs your attention" list.

A kept drawing is given to every request with the same values, so each kept template must be drawn from those
values alone: nothing about who is signed in, their session or the request may reach it. These tests hold each
template to its names, and check what a person sees: their own CSRF token and a fresh nonce on every page, the
menu of their own roles, a new task at once, and a task's age as time passes.
"""

import re
from datetime import UTC, datetime

import pytest
from jinja2 import meta

from shared.drawings import DRAWN, PURE_GLOBALS, drawing
from tests.support.client import Browser, csrf_from, html


@pytest.mark.parametrize("template", sorted(DRAWN))
def test_each_kept_template_is_drawn_from_its_own_names_alone(app, template):
    """Every name the template reads is one it is drawn from (or a pure function of the app's own); it includes,
    imports and extends nothing (another template could read more)."""
    source, _, _ = app.jinja_env.loader.get_source(app.jinja_env, template)
    parsed = app.jinja_env.parse(source)
    assert meta.find_undeclared_variables(parsed) <= DRAWN[template] | PURE_GLOBALS
    assert list(meta.find_referenced_templates(parsed)) == []


def test_a_drawing_asked_for_with_other_names_is_refused(app):
    with app.test_request_context("/"), pytest.raises(TypeError, match="is drawn from"):
        drawing("chrome/_bottom.html", school_name="Hillside Academy", script_url="/static/x.js")


def _named(app, person, name: str):
    from shared.extensions import db
    from shared.models import User

    with app.app_context():
        db.session.query(User).filter_by(email=person.email).one().name = name
        db.session.commit()
    return person


def _nonces(response) -> set[str]:
    return set(re.findall(r'nonce="([^"]+)"', html(response)))


def test_two_people_with_the_same_roles_get_the_same_chrome_with_their_own_token_and_a_fresh_nonce(app, world):
    school = world.school("Hillside Academy")
    first, second = Browser(app.test_client()), Browser(app.test_client())
    first.sign_in(_named(app, world.user(school, ["headteacher"]), "Helen Head"))
    second.sign_in(_named(app, world.user(school, ["headteacher"]), "Harry Deputy"))
    pages = [first.get("/school/"), first.get("/school/"), second.get("/school/")]
    for page in pages:
        csp_nonce = page.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        assert _nonces(page) == {csp_nonce}  # both scripts carry this response's own nonce
    assert len({page.headers["Content-Security-Policy"] for page in pages}) == 3  # a fresh one every time
    first_token, second_token = csrf_from(html(pages[0])), csrf_from(html(pages[2]))
    assert first_token != second_token and csrf_from(html(pages[1])) == first_token
    assert "Helen Head" in html(pages[0]) and "Harry Deputy" in html(pages[2])
    assert "Harry Deputy" not in html(pages[0]) and "Helen Head" not in html(pages[2])
    # Each can sign out with the token on their own page; another's is refused.
    assert second.client.post("/sign-out", data={"csrf_token": first_token}).status_code == 400
    assert second.client.post("/sign-out", data={"csrf_token": second_token}).status_code == 302
    assert first.get("/school/").status_code == 200  # the first person is still signed in


def test_the_menu_is_the_persons_own_and_a_page_with_errors_says_so_in_its_title(app, world):
    school = world.school("Hillside Academy")
    head, dsl = Browser(app.test_client()), Browser(app.test_client())
    head.sign_in(world.user(school, ["headteacher"]))
    dsl.sign_in(world.user(school, ["dsl"]))
    assert "/school/verification" not in html(head.get("/school/"))  # the headteacher does not verify evidence
    assert "/school/verification" in html(dsl.get("/school/"))
    assert "/school/verification" not in html(head.get("/school/"))
    signed_out = app.test_client()
    form = html(signed_out.get("/sign-in"))
    assert "<title>Sign in" in form and "Sign out" not in form  # no menu for someone not signed in
    wrong = signed_out.post("/sign-in", data={"csrf_token": csrf_from(form), "email": "", "password": ""})
    assert "<title>Error: Sign in" in html(wrong)
    assert "<title>Sign in" in html(signed_out.get("/sign-in"))


def test_a_new_task_shows_at_once_and_a_tasks_age_moves_with_the_clock(app, world, browser):
    from freezegun import freeze_time

    from shared.extensions import db
    from shared.models import Placement

    school = world.school("Hillside Academy")
    provider = world.provider(school, "Northside Learning")
    with freeze_time("2026-12-02 09:00:00") as clock:
        browser.sign_in(world.user(school, ["headteacher"]))
        assert "waiting for your decision" not in html(browser.get("/school/"))
        placement_id = world.placement(school, provider, status="planned")
        with app.app_context():
            placement = db.session.get(Placement, placement_id)
            placement.headteacher_decision = "pending"
            placement.created_at = datetime(2026, 12, 2, 8, 59, tzinfo=UTC)
            db.session.commit()
        page = html(browser.get("/school/"))
        assert "1 placement is waiting for your decision" in page and "Oldest 1 minute<" in page
        clock.tick(600)  # within the session's idle time
        page = html(browser.get("/school/"))
        assert "Oldest 11 minutes" in page and "Oldest 1 minute<" not in page


def test_a_global_added_after_templates_are_loaded_is_seen(app):
    """shared.flask_app.JinjaEnvironment: templates read the environment's own globals, as Jinja's chain did."""
    template = app.jinja_env.from_string("{{ added_later | default('missing') }}")
    assert template.render() == "missing"
    app.jinja_env.globals["added_later"] = "seen"
    try:
        assert template.render() == "seen"
    finally:
        del app.jinja_env.globals["added_later"]


def test_a_views_own_cache_header_is_replaced_not_repeated(app, world, browser):
    """shared.security: the fixed headers replace a view's own (a download says no-store itself), never doubled."""
    school = world.school("Hillside Academy")
    browser.sign_in(world.user(school, ["headteacher"]))
    response = browser.get("/school/reports/inspection")
    assert response.status_code == 200
    assert response.headers.getlist("Cache-Control") == ["no-store"]
    assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert len(response.headers.getlist("Content-Security-Policy")) == 1


def _normalised(page: str) -> str:
    """The page with this request's nonce and token taken out, and runs of white space made one."""
    page = re.sub(r'nonce="[^"]+"', 'nonce=""', page)
    page = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', page)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", page)).strip()


def test_the_school_home_is_the_page_base_html_would_draw(app, world, browser):
    """school_admin.views.home puts the page together from its drawn parts without drawing base.html: it must be
    exactly the page the school's layout draws around the same content (chrome, menu, messages, footer)."""
    from flask import render_template_string
    from markupsafe import Markup

    from shared.drawings import drawing, task_list
    from shared.roles import role_names
    from shared.services.attention import school as attention
    from shared.services.attention.tasks import quiet_line

    school = world.school("Hillside Academy")
    browser.sign_in(world.user(school, ["headteacher", "dsl"]))
    served = html(browser.get("/school/"))
    cookie = browser.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    with app.test_request_context("/school/", headers={"Cookie": f"{cookie.key}={cookie.value}"}):
        app.preprocess_request()
        from flask_login import current_user

        now = datetime.now(UTC)
        tasks = task_list(attention.school_tasks(school, current_user.roles, now), now, quiet_line(current_user.roles))
        content = drawing(
            "school_admin/_home.html",
            caption=f"{current_user.name} · {role_names(current_user.roles)}",
            tasks=tasks,
        )
        drawn = render_template_string(
            '{% extends "school_admin/base.html" %}{% block title %}Needs your attention{% endblock %}'
            "{% block main_content %}{{ content }}{% endblock %}",
            content=Markup(content),  # noqa: S704 - drawn by Jinja with autoescape
        )
    assert "Nothing needs your attention" in served or 'id="tasks"' in served
    assert _normalised(served) == _normalised(drawn)


def test_a_message_flashed_for_the_school_home_is_shown_on_it_once(app, world, browser):
    school = world.school("Hillside Academy")
    browser.sign_in(world.user(school, ["headteacher"]))
    with browser.client.session_transaction() as session:
        session["_flashes"] = [("message", "Budget saved"), ("error", "Something to check")]
    page = html(browser.get("/school/"))
    assert "Budget saved" in page and 'class="govuk-notification-banner govuk-notification-banner--success"' in page
    assert "Something to check" in page and 'role="alert"' in page
    again = html(browser.get("/school/"))
    assert "Budget saved" not in again and "Something to check" not in again


def test_a_title_given_as_text_or_as_markup_is_escaped_once_either_way(app):
    """A plain string and Markup of the same text are equal as keys, yet draw differently: neither may be given the
    other's drawing."""
    from markupsafe import Markup

    from shared.page_chrome import page_chrome

    with app.test_request_context("/sign-in"):
        plain = page_chrome("Fish & chips", False, "Hillside Academy", "AP Portal", None).top
        marked = page_chrome(Markup("Fish &amp; chips"), False, "Hillside Academy", "AP Portal", None).top
        again = page_chrome("Fish &amp; chips", False, "Hillside Academy", "AP Portal", None).top
    assert "<title>Fish &amp; chips – AP Portal" in plain and "<title>Fish &amp; chips – AP Portal" in marked
    assert "<title>Fish &amp;amp; chips – AP Portal" in again  # text that looks like markup is still text
