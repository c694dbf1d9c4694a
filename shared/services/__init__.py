"""Services hold the rules; web views, the API and the CLI call them."""
