"""The WSGI entry point of an installed package: `gunicorn sesac_ms.wsgi:app`. Production mode."""

import gc
import os

os.environ.setdefault("SESAC_ENV", "production")

from sesac_ms import create_app  # noqa: E402

app = create_app()

# Everything built so far (the app, its extensions, templates' modules, catalogs) lives as
# long as the worker: move it out of the garbage collector's generations, so that the
# collections requests trigger walk only what requests made (Python docs, gc.freeze).
gc.freeze()
