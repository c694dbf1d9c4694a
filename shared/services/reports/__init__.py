"""What leaders read: the inspection pack and other reports, the governors' report and PDF, the AP budget."""
