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


def post_worker_init(worker):
    """Warn loudly when bound beyond loopback without login (the app is loaded by now)."""
    from dashboard import security

    security.warn_if_exposed(worker.cfg.address)
