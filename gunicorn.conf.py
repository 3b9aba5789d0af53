"""gunicorn settings; gunicorn reads ./gunicorn.conf.py from its working directory by itself.

    gunicorn app:server -b 127.0.0.1:8050 -w 2

Command-line flags (-b, -w, --timeout) still apply; this file only adds what they cannot say.
"""
import gunicorn.http.wsgi

# 'Server: glimpse' instead of gunicorn's 'Server: gunicorn' (a response's Server header is
# written by gunicorn itself, an app's own would be sent as a second one).
gunicorn.http.wsgi.SERVER = "glimpse"

# gunicorn >= 25 opens a control socket (~/.gunicorn/gunicorn.ctl) that lets any local
# process of the same user resize or stop the workers; Glimpse does not use it, and two
# servers of one user (tests, a second deployment) would share its path.
control_socket_disable = True

# Threads per worker: a request busy with a long computation (LIME at 20,000 samples) holds
# one thread, not the whole worker; the service is thread-safe and lets cheap methods run
# beside it (explain_core/fair_compute.py). With two users flooding LIME, sync workers
# (--threads 1) were both busy and clicks waited (cached p95 2.1 s vs 40 ms): docs/PERFORMANCE.md, Load.
threads = 4


def post_fork(server, worker):
    """torch's thread pool sized to this worker's share of the cores (GLIMPSE_TORCH_THREADS
    overrides it): two workers each with a pool as large as the machine made a LIME run
    ~6x slower while the other worker answered clicks (OpenMP threads waiting on each other)."""
    import os

    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(int(os.environ.get("GLIMPSE_TORCH_THREADS") or max(1, cores // server.cfg.workers)))


def post_worker_init(worker):
    """Warn loudly when bound beyond loopback without login (the app is loaded by now)."""
    from dashboard import security

    security.warn_if_exposed(worker.cfg.address)
