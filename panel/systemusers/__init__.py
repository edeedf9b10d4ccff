"""System users of an account: its SFTP/SSH logins, their keys and the directory each is limited to (see
issue 11: the rules are here; models, services, API and the `users` role follow)."""
