"""gunicorn's configuration: gunicorn reads this file from the folder it starts in (./scripts/serve starts it here).

Its values come from the application's settings (annotator/settings.py: the environment and .env).
"""

from annotator import settings

wsgi_app = "annotator.wsgi:application"
bind = [settings.SERVE_ADDRESS]
workers = settings.WEB_WORKERS
# Threads, not one request per process or an event loop: every view is synchronous, and the live page's stream is a
# synchronous generator that holds its request for as long as it plays (the model's inference releases the GIL).
# With gthread workers a stream takes one thread and the process goes on serving the others; the worker process
# keeps reporting to the arbiter, so `timeout` ends only a process that hangs as a whole.
worker_class = "gthread"
threads = settings.WEB_THREADS
timeout = 60
graceful_timeout = 30
accesslog = "-"
# gunicorn's control socket has one default path per user: a second server on the machine (CI's production run
# beside a developer's) would take it over. Nothing here uses it.
control_socket_disable = True
