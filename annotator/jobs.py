"""What every kind of background job shares."""

import os
import socket


def worker_name() -> str:
    """This worker process, as recorded on the jobs it runs: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"
