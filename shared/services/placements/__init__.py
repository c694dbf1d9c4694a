"""Pupils and their placements: pupil records, the placement plan and decision, incidents, reviews, visits."""
