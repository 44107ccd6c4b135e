"""Time the main pages and a log-in on a throw-away SQLite database with the demo data.

Run on demand: `.venv/bin/python benchmarks/pages.py [--repeat N]`. Prints figures only;
no test asserts a wall-clock time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50, help="requests per page")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="sesac-bench-"))
    os.environ["SESAC_INSTANCE_PATH"] = str(instance)
    from flask_migrate import upgrade

    from sesac_ms import create_app
    from sesac_ms.demo import DEMO_PASSWORD, load_demo_data
    from sesac_ms.extensions import db

    app = create_app(
        {"SECRET_KEY": "bench" * 10, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}
    )
    with app.app_context():
        upgrade()
        load_demo_data()
        db.session.commit()

    client = app.test_client()
    started = time.perf_counter()
    client.post("/auth/login", data={"email": "admin@sesac.example", "password": DEMO_PASSWORD})
    print(f"log-in (argon2id verify with production cost): {time.perf_counter() - started:.3f} s")

    for path in (
        "/",
        "/cohorts/",
        "/cohorts/courses",
        "/admin/campuses",
        "/admin/users",
        "/admin/audit",
    ):
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(path)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (path, response.status_code)
        print(
            f"GET {path:<18} median {statistics.median(timings) * 1000:7.2f} ms   "
            f"p95 {sorted(timings)[int(len(timings) * 0.95) - 1] * 1000:7.2f} ms"
        )


if __name__ == "__main__":
    main()
