"""Superset's admin login, created or given a new password, through Superset's Python API
(Flask-AppBuilder's security manager) instead of `superset fab create-admin --password`: a
command-line argument is in every local user's process listing (and a container's processes
are the host's). The password is read from standard input, the user name is the first argument.

    printf '%s\n' "$SUPERSET_ADMIN_PASSWORD" | python bi/admin_login.py admin

`make bi` (tools/social_crm_dev/bi.py) and compose's superset service (docker-compose.yaml) run
it; docs/bi.md."""

import sys


def main() -> int:
    username = sys.argv[1] if len(sys.argv) > 1 else "admin"
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("admin_login: no password on standard input", file=sys.stderr)
        return 2
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import security_manager

        user = security_manager.find_user(username=username)
        if user is None:
            made = security_manager.add_user(
                username,
                "Social CRM",
                "Admin",
                f"{username}@localhost",
                security_manager.find_role("Admin"),
                password=password,
            )
            if not made:
                print(f"admin_login: Superset did not create {username}", file=sys.stderr)
                return 1
        else:
            security_manager.reset_password(user.id, password)
    print(f"admin login {username}: {'created' if user is None else 'password set'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
