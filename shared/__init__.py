"""The core shared by both sides: models, services (the rules), auth, audit, mail, config, the app factory and CLI."""
