"""The school's calendar: which days and sessions are expected, its half-terms, and changing it."""
