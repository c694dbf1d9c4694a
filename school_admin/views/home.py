"""The school home page: what needs the signed-in person's attention (the items arrive with later issues)."""

from flask import render_template

from school_admin import bp


@bp.get("/")
def home():
    return render_template("school_admin/home.html", tasks=[])
