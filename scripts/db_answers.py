"""Exit 0 when the MySQL/MariaDB server in the URL given answers, 1 with a sentence when not."""

import sys

import environ
import MySQLdb

config = environ.Env.db_url_config(sys.argv[1].rstrip("/") + "/mysql")
try:
    MySQLdb.connect(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 3306),
        user=config["USER"],
        password=config["PASSWORD"] or "",
        connect_timeout=5,
    ).close()
except MySQLdb.Error as exc:
    print(f"MariaDB does not answer: {exc}")
    sys.exit(1)
