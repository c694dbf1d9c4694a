""" "Needs your attention": each role's task list on both sides, as data; views build the links."""
