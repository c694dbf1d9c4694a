"""The local authority's view of the schools in its area (issue 14): read-only, never safeguarding content."""
